//! A throw-away test CA and server certificate made with the `openssl` CLI,
//! and a TLS probe built on `openssl s_client`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process::PeerProcess;
use crate::{Error, Result, RunDir, Transport, net};

/// A CA and a server certificate for `127.0.0.1`, `::1` and `localhost`
/// signed by it (ECDSA P-256, valid two days), generated at test time.
#[derive(Debug, Clone)]
pub struct TestCerts {
    /// The CA certificate (PEM): what a client trusts.
    pub ca_cert: PathBuf,
    /// The server certificate (PEM).
    pub server_cert: PathBuf,
    /// The server's private key (PEM, unencrypted).
    pub server_key: PathBuf,
}

impl TestCerts {
    /// Generates the CA and the server certificate into `dir`.
    pub fn generate(dir: &Path) -> Result<Self> {
        let ca_key = dir.join("ca.key");
        let ca_cert = dir.join("ca.pem");
        let server_key = dir.join("server.key");
        let server_csr = dir.join("server.csr");
        let server_cert = dir.join("server.pem");
        let ext = dir.join("server.ext");
        std::fs::write(
            &ext,
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth,clientAuth\n\
             subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n",
        )
        .map_err(|e| Error::io("writing server.ext", e))?;
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            [
                &["req", "-x509"][..],
                &ec[..],
                &["-days", "2", "-subj", "/CN=Linkus Test CA"],
            ]
            .concat()
            .into_iter()
            .map(str::to_owned)
            .chain([
                "-addext".into(),
                "basicConstraints=critical,CA:TRUE".into(),
                "-addext".into(),
                "keyUsage=critical,keyCertSign,cRLSign".into(),
                "-keyout".into(),
                path_arg(&ca_key),
                "-out".into(),
                path_arg(&ca_cert),
            ]),
        )?;
        openssl(
            [&["req"][..], &ec[..], &["-subj", "/CN=127.0.0.1"]]
                .concat()
                .into_iter()
                .map(str::to_owned)
                .chain([
                    "-keyout".into(),
                    path_arg(&server_key),
                    "-out".into(),
                    path_arg(&server_csr),
                ]),
        )?;
        openssl(
            ["x509", "-req", "-days", "2", "-CAcreateserial"]
                .into_iter()
                .map(str::to_owned)
                .chain([
                    "-in".into(),
                    path_arg(&server_csr),
                    "-CA".into(),
                    path_arg(&ca_cert),
                    "-CAkey".into(),
                    path_arg(&ca_key),
                    "-extfile".into(),
                    path_arg(&ext),
                    "-out".into(),
                    path_arg(&server_cert),
                ]),
        )?;
        Ok(Self {
            ca_cert,
            server_cert,
            server_key,
        })
    }
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn openssl(args: impl IntoIterator<Item = String>) -> Result<()> {
    let args: Vec<String> = args.into_iter().collect();
    let out = Command::new("openssl")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotInstalled {
                    program: "openssl",
                    package: "openssl",
                }
            } else {
                Error::io("running openssl", e)
            }
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Tool {
            tool: "openssl",
            detail: format!(
                "openssl {} -> {}: {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
        })
    }
}

/// What [`tls_options`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsProbe {
    /// `openssl s_client` verified the server's chain against the CA and
    /// the server certificate against the IP address
    /// (`Verify return code: 0 (ok)`).
    pub verified: bool,
    /// The negotiated protocol (`TLSv1.3`, ...).
    pub protocol: Option<String>,
    /// The status code of the SIP response to the OPTIONS sent over TLS.
    pub status: u16,
}

/// Opens a TLS connection to `target` with `openssl s_client`, verifying the
/// server against `ca_cert` and the target's IP, sends one SIP OPTIONS over
/// it and waits (at most `timeout`) for the response. `s_client` runs as a
/// child in its own run directory and is stopped by PID.
pub fn tls_options(target: SocketAddr, ca_cert: &Path, timeout: Duration) -> Result<TlsProbe> {
    let dir = RunDir::new("s_client")?;
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &target.to_string(), "-CAfile"])
        .arg(ca_cert)
        .args([
            "-verify_return_error",
            "-verify_ip",
            &target.ip().to_string(),
            "-ign_eof",
        ]);
    let (mut stdin, stdout, stderr, mut proc) =
        PeerProcess::spawn_piped("s_client", "openssl", "openssl", cmd, dir.path())?;
    proc.set_grace(Duration::from_millis(500));
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let tx2 = tx.clone();
    pump(stdout, tx);
    pump(stderr, tx2);

    let local: SocketAddr = (net::LOOPBACK, 0).into();
    let request = net::options_request(Transport::Tls, local, target);
    stdin
        .write_all(request.as_bytes())
        .map_err(|e| Error::io("writing to s_client", e))?;
    stdin
        .flush()
        .map_err(|e| Error::io("writing to s_client", e))?;

    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let text = String::from_utf8_lossy(&seen).into_owned();
        if let Some(at) = text.find("SIP/2.0 ") {
            if let Some(status) = net::status_code(&text[at..]) {
                drop(stdin);
                proc.stop();
                return Ok(TlsProbe {
                    verified: text.contains("Verify return code: 0 (ok)"),
                    protocol: text
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("Protocol  : "))
                        .or_else(|| {
                            text.lines().find_map(|l| {
                                l.strip_prefix("New, ")
                                    .map(|r| r.split(',').next().unwrap_or(r))
                            })
                        })
                        .map(str::to_owned),
                    status,
                });
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            proc.stop();
            crate::report(&format!("----- s_client output -----\n{text}"));
            return Err(Error::Timeout {
                what: format!("a SIP response over TLS from {target}"),
                after: timeout,
            });
        }
        match rx.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok(chunk) => seen.extend_from_slice(&chunk),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // s_client exited: report what it said.
                proc.stop();
                let text = String::from_utf8_lossy(&seen).into_owned();
                return Err(Error::Protocol {
                    peer: target.to_string(),
                    detail: format!("s_client ended without a SIP response:\n{text}"),
                });
            }
        }
    }
}

fn pump(mut from: impl std::io::Read + Send + 'static, to: mpsc::Sender<Vec<u8>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if to.send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
}
