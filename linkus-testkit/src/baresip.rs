//! baresip, a real softphone, driven through its `ctrl_tcp` module.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::PeerProcess;
use crate::{Error, Result, RunDir, Transport, net};

/// Where Debian's baresip keeps its modules.
const MODULE_DIRS: &[&str] = &[
    "/usr/lib/baresip/modules",
    "/usr/lib/x86_64-linux-gnu/baresip/modules",
    "/usr/lib/aarch64-linux-gnu/baresip/modules",
    "/usr/local/lib/baresip/modules",
];

/// The largest ctrl_tcp netstring accepted.
const MAX_NETSTRING: usize = 1 << 20;

/// Settings of a [`Baresip`]; start it with [`start`](Self::start).
#[derive(Debug, Clone)]
pub struct BaresipBuilder {
    user: String,
    password: String,
    registrar: SocketAddr,
    transport: Transport,
    register: bool,
    auto_answer: bool,
    startup_timeout: Duration,
    audio_source: Option<String>,
    record: bool,
    modules: Vec<String>,
    media_encryption: Option<String>,
}

impl BaresipBuilder {
    /// Registers over TCP instead of UDP (TLS is not supported yet: the
    /// account would need the test CA).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Does not register (`regint=0`); [`start`](Self::start) then waits only
    /// for the control connection.
    pub fn no_register(mut self) -> Self {
        self.register = false;
        self
    }

    /// Leaves incoming calls ringing (`answermode=manual`); the default
    /// answers them at once (`answermode=auto`).
    pub fn manual_answer(mut self) -> Self {
        self.auto_answer = false;
        self
    }

    /// Uses this audio source instead of the silent in-process bridge, as
    /// baresip's `audio_source` setting says: `ausine,1000` (a 1 kHz sine)
    /// or `aufile,/path/to.wav`. Loads the module it names.
    pub fn audio_source(mut self, source: &str) -> Self {
        if let Some(module) = source.split(',').next() {
            self.modules.push(format!("{module}.so"));
        }
        self.audio_source = Some(source.to_owned());
        self
    }

    /// Records every call's audio (`sndfile` module): what baresip decoded
    /// and what it encoded, as WAV files in its run directory; see
    /// [`Baresip::recordings`].
    pub fn record(mut self) -> Self {
        self.record = true;
        self
    }

    /// Loads more modules (`g722.so`, `opus.so`, `srtp.so`, ...), after
    /// `g711.so`. Codecs are offered in the order they are loaded.
    pub fn modules(mut self, modules: &[&str]) -> Self {
        self.modules.extend(modules.iter().map(|m| (*m).to_owned()));
        self
    }

    /// Sets the account's media encryption (`srtp`, `srtp-mand`, ...);
    /// loads `srtp.so`.
    pub fn media_encryption(mut self, mediaenc: &str) -> Self {
        self.modules.push("srtp.so".to_owned());
        self.media_encryption = Some(mediaenc.to_owned());
        self
    }

    /// How long to wait for the control port and the registration
    /// (default 15 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Writes `config` and `accounts` into a fresh run directory, starts
    /// `baresip -f <dir>`, connects to its ctrl_tcp port and (unless
    /// [`no_register`](Self::no_register)) waits until `reginfo` shows the
    /// account registered.
    pub fn start(self) -> Result<Baresip> {
        if self.transport == Transport::Tls {
            return Err(Error::InvalidConfig(
                "baresip over TLS is not set up yet".into(),
            ));
        }
        let module_path = MODULE_DIRS
            .iter()
            .find(|d| Path::new(d).join("account.so").is_file())
            .ok_or(Error::NotInstalled {
                program: "baresip modules",
                package: "baresip-core",
            })?;
        let dir = RunDir::new("baresip")?;
        // SIP on `sip_port` (UDP + TCP) and, by libre's habit, TLS on the
        // next port even without a certificate: both must be free.
        let sip_port = net::free_ports(2)?;
        let ctrl_port = net::free_port()?;
        let sip = SocketAddr::from((net::LOOPBACK, sip_port));
        let ctrl = SocketAddr::from((net::LOOPBACK, ctrl_port));
        let mut config = config_file(sip, ctrl, module_path);
        for module in &self.modules {
            config.push_str(&format!("module\t\t\t{module}\n"));
        }
        if let Some(source) = &self.audio_source {
            config = config.replace(
                "audio_source\t\taubridge,nil\n",
                &format!("audio_source\t\t{source}\n"),
            );
            // ausine makes 48 kHz stereo only; baresip converts to the codec.
            if source.starts_with("ausine") {
                config.push_str("ausrc_srate\t\t48000\nausrc_channels\t\t2\n");
            }
        }
        if self.record {
            config.push_str(&format!(
                "module\t\t\tsndfile.so\nsnd_path\t\t{}\n",
                dir.path().display()
            ));
        }
        dir.write("config", &config)?;
        let aor = format!("sip:{}@{}", self.user, self.registrar);
        let transport = if self.transport == Transport::Tcp {
            "tcp"
        } else {
            "udp"
        };
        let regint = if self.register { 300 } else { 0 };
        let answermode = if self.auto_answer { "auto" } else { "manual" };
        let mediaenc = self
            .media_encryption
            .as_ref()
            .map_or(String::new(), |m| format!(";mediaenc={m}"));
        dir.write(
            "accounts",
            &format!(
                "<{aor};transport={transport}>;auth_user={};auth_pass={};\
                 answermode={answermode};regint={regint}{mediaenc}\n",
                self.user, self.password
            ),
        )?;

        let mut cmd = Command::new("baresip");
        cmd.arg("-f").arg(dir.path());
        let process = PeerProcess::spawn("baresip", "baresip", "baresip-core", cmd, dir.path())?;
        let mut baresip = Baresip {
            process,
            ctrl: None,
            sip,
            aor,
            dir,
        };
        if let Err(e) = baresip.connect(ctrl, self.startup_timeout) {
            baresip.process.print_logs();
            return Err(e);
        }
        if self.register {
            let result = baresip.wait_registered(self.startup_timeout);
            if let Err(e) = result {
                baresip.process.print_logs();
                return Err(e);
            }
        }
        Ok(baresip)
    }
}

fn config_file(sip: SocketAddr, ctrl: SocketAddr, module_path: &str) -> String {
    // No sound card: `aubridge` plays into and records from an in-process
    // bridge named `nil`. No stdio UI: control is ctrl_tcp only. `menu`
    // provides the commands (dial, hangup, reginfo, ...) that ctrl_tcp runs.
    // Every URI the kit uses is an IP literal; should anything need a name
    // resolved, the query stays on loopback (`dns_server`).
    format!(
        "# Written by linkus-testkit.\n\
         poll_method\t\tepoll\n\
         net_interface\t\t{ip}\n\
         dns_server\t\t127.0.0.1:53\n\
         sip_listen\t\t{sip}\n\
         call_local_timeout\t120\n\
         call_max_calls\t\t4\n\
         audio_player\t\taubridge,nil\n\
         audio_source\t\taubridge,nil\n\
         audio_alert\t\taubridge,nil\n\
         module_path\t\t{module_path}\n\
         module\t\t\tg711.so\n\
         module\t\t\taubridge.so\n\
         module\t\t\tctrl_tcp.so\n\
         module_app\t\taccount.so\n\
         module_app\t\tmenu.so\n\
         ctrl_tcp_listen\t\t{ctrl}\n",
        ip = sip.ip(),
    )
}

/// An event or command response from ctrl_tcp.
#[derive(Debug, Clone, PartialEq)]
pub struct BaresipEvent {
    /// `REGISTER_OK`, `CALL_INCOMING`, `CALL_ESTABLISHED`, `CALL_CLOSED`...
    pub kind: String,
    /// The peer of a call event.
    pub peer_uri: Option<String>,
    /// The event's parameter (the reason of `CALL_CLOSED`, ...).
    pub param: Option<String>,
    /// The whole JSON object.
    pub raw: Value,
}

/// A command's response.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandResponse {
    /// Whether baresip ran the command.
    pub ok: bool,
    /// Its text output (ANSI colour codes removed).
    pub data: String,
}

#[derive(Debug, Default)]
struct CtrlState {
    events: Vec<BaresipEvent>,
    responses: HashMap<String, CommandResponse>,
    closed: bool,
}

#[derive(Debug)]
struct Ctrl {
    writer: Mutex<TcpStream>,
    state: Arc<(Mutex<CtrlState>, Condvar)>,
    next_token: AtomicU64,
}

/// A running baresip with one account, stopped on drop.
///
/// Control is baresip's `ctrl_tcp` module (netstring-framed JSON on a
/// loopback TCP port): commands are the `menu` module's long commands
/// (`dial`, `hangup`, `accept`, `reginfo`, ...) and every UA event (call
/// incoming, established, closed, registration) is recorded and can be
/// awaited with [`wait_event`](Self::wait_event).
#[derive(Debug)]
pub struct Baresip {
    process: PeerProcess,
    ctrl: Option<Ctrl>,
    sip: SocketAddr,
    aor: String,
    // Dropped after `process`: the logs outlive the peer.
    dir: RunDir,
}

impl Baresip {
    /// Settings for a baresip that registers `user`/`password` at
    /// `registrar` (a [`Kamailio`](crate::Kamailio) address) over UDP and
    /// answers calls automatically.
    pub fn builder(user: &str, password: &str, registrar: SocketAddr) -> BaresipBuilder {
        BaresipBuilder {
            user: user.to_owned(),
            password: password.to_owned(),
            registrar,
            transport: Transport::Udp,
            register: true,
            auto_answer: true,
            startup_timeout: Duration::from_secs(15),
            audio_source: None,
            record: false,
            modules: Vec::new(),
            media_encryption: None,
        }
    }

    /// The WAV files the `sndfile` module wrote (see
    /// [`BaresipBuilder::record`]), oldest first: `dump-<time>-dec.wav` holds
    /// what baresip received and decoded, `-enc.wav` what it sent.
    pub fn recordings(&self) -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("dump-") && n.ends_with(".wav"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// The SIP address it listens on (UDP and TCP).
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip
    }

    /// The account's address of record (`sip:1002@127.0.0.1:<port>`).
    pub fn aor(&self) -> &str {
        &self.aor
    }

    /// The run directory (config, accounts, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// baresip's stdout so far (its log).
    pub fn log(&self) -> String {
        self.process.stdout()
    }

    /// Prints the tail of the logs to stderr.
    pub fn print_logs(&self) {
        self.process.print_logs();
    }

    /// Runs a command (a `menu` long command such as `dial`, `hangup`,
    /// `reginfo`) and waits at most `timeout` for its response.
    pub fn command(
        &self,
        command: &str,
        params: Option<&str>,
        timeout: Duration,
    ) -> Result<CommandResponse> {
        let ctrl = self.ctrl()?;
        let token = ctrl.next_token.fetch_add(1, Ordering::Relaxed).to_string();
        let mut request = serde_json::json!({ "command": command, "token": token });
        if let Some(p) = params {
            request["params"] = Value::String(p.to_owned());
        }
        let body = request.to_string();
        {
            let mut w = lock(&ctrl.writer);
            w.write_all(format!("{}:{body},", body.len()).as_bytes())
                .map_err(|e| Error::io("writing to baresip ctrl_tcp", e))?;
        }
        let (lock_state, cvar) = &*ctrl.state;
        let deadline = Instant::now() + timeout;
        let mut state = lock(lock_state);
        loop {
            if let Some(r) = state.responses.remove(&token) {
                return Ok(r);
            }
            if state.closed {
                return Err(self.exited_or("baresip closed ctrl_tcp"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout {
                    what: format!("baresip's response to `{command}`"),
                    after: timeout,
                });
            }
            state = cvar
                .wait_timeout(state, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Dials `uri` (`dial` command); follow the call with
    /// [`wait_event`](Self::wait_event).
    pub fn dial(&self, uri: &str) -> Result<()> {
        let r = self.command("dial", Some(uri), Duration::from_secs(5))?;
        if r.ok {
            Ok(())
        } else {
            Err(Error::Protocol {
                peer: "baresip".into(),
                detail: format!("dial {uri} refused: {}", r.data),
            })
        }
    }

    /// Hangs up the current call.
    pub fn hangup(&self) -> Result<()> {
        self.command("hangup", None, Duration::from_secs(5))
            .map(|_| ())
    }

    /// Whether `reginfo` shows the account registered (`OK`).
    pub fn is_registered(&self) -> Result<bool> {
        let r = self.command("reginfo", None, Duration::from_secs(5))?;
        Ok(r.data
            .lines()
            .any(|l| l.contains(&self.aor) && l.split_whitespace().any(|w| w == "OK")))
    }

    /// Polls `reginfo` until the account is registered.
    pub fn wait_registered(&mut self, timeout: Duration) -> Result<()> {
        let what = format!("baresip to register {}", self.aor);
        net::wait_until(&what, timeout, Duration::from_millis(100), || {
            self.process.ensure_running()?;
            self.is_registered()
        })
    }

    /// The events received so far.
    pub fn events(&self) -> Vec<BaresipEvent> {
        self.ctrl
            .as_ref()
            .map(|c| lock(&c.state.0).events.clone())
            .unwrap_or_default()
    }

    /// Waits at most `timeout` for an event of `kind` (`CALL_ESTABLISHED`,
    /// ...), including one already received, and returns the first.
    pub fn wait_event(&self, kind: &str, timeout: Duration) -> Result<BaresipEvent> {
        let ctrl = self.ctrl()?;
        let (lock_state, cvar) = &*ctrl.state;
        let deadline = Instant::now() + timeout;
        let mut state = lock(lock_state);
        loop {
            if let Some(e) = state.events.iter().find(|e| e.kind == kind) {
                return Ok(e.clone());
            }
            if state.closed {
                return Err(self.exited_or("baresip closed ctrl_tcp"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let seen: Vec<String> = state.events.iter().map(|e| e.kind.clone()).collect();
                drop(state);
                self.process.print_logs();
                return Err(Error::Timeout {
                    what: format!("baresip event {kind} (seen: {})", seen.join(", ")),
                    after: timeout,
                });
            }
            state = cvar
                .wait_timeout(state, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Stops it now (SIGTERM — baresip then unregisters — and SIGKILL
    /// after 3 s), as drop does.
    pub fn stop(&mut self) {
        self.process.stop();
    }

    fn ctrl(&self) -> Result<&Ctrl> {
        self.ctrl.as_ref().ok_or_else(|| Error::Protocol {
            peer: "baresip".into(),
            detail: "ctrl_tcp not connected".into(),
        })
    }

    fn exited_or(&self, detail: &str) -> Error {
        Error::Protocol {
            peer: "baresip".into(),
            detail: format!("{detail}; logs in {}", self.dir.path().display()),
        }
    }

    fn connect(&mut self, ctrl: SocketAddr, timeout: Duration) -> Result<()> {
        let mut stream = None;
        net::wait_until(
            "baresip's ctrl_tcp port",
            timeout,
            Duration::from_millis(50),
            || {
                self.process.ensure_running()?;
                match TcpStream::connect_timeout(&ctrl, Duration::from_millis(500)) {
                    Ok(s) => {
                        stream = Some(s);
                        Ok(true)
                    }
                    Err(_) => Ok(false),
                }
            },
        )?;
        let stream = stream.ok_or_else(|| Error::Protocol {
            peer: "baresip".into(),
            detail: "no ctrl_tcp stream".into(),
        })?;
        let reader = stream
            .try_clone()
            .map_err(|e| Error::io("cloning the ctrl_tcp stream", e))?;
        let state = Arc::new((Mutex::new(CtrlState::default()), Condvar::new()));
        let shared = Arc::clone(&state);
        std::thread::Builder::new()
            .name("baresip-ctrl".into())
            .spawn(move || read_ctrl(reader, &shared))
            .map_err(|e| Error::io("spawning the ctrl_tcp reader", e))?;
        self.ctrl = Some(Ctrl {
            writer: Mutex::new(stream),
            state,
            next_token: AtomicU64::new(1),
        });
        Ok(())
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        if let Some(ctrl) = &self.ctrl {
            let _ = lock(&ctrl.writer).shutdown(std::net::Shutdown::Both);
        }
        self.process.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads netstrings (`<len>:<json>,`) until the stream ends, filing
/// responses by token and events in order.
fn read_ctrl(stream: TcpStream, state: &(Mutex<CtrlState>, Condvar)) {
    let mut reader = BufReader::new(stream);
    while let Some(message) = read_netstring(&mut reader) {
        let Ok(value) = serde_json::from_slice::<Value>(&message) else {
            continue;
        };
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut s = lock(&state.0);
        if value.get("response").and_then(Value::as_bool) == Some(true) {
            let token = text("token").unwrap_or_default();
            let response = CommandResponse {
                ok: value.get("ok").and_then(Value::as_bool).unwrap_or(false),
                data: strip_ansi(&text("data").unwrap_or_default()),
            };
            s.responses.insert(token, response);
        } else if value.get("event").and_then(Value::as_bool) == Some(true) {
            s.events.push(BaresipEvent {
                kind: text("type").unwrap_or_default(),
                peer_uri: text("peeruri"),
                param: text("param"),
                raw: value.clone(),
            });
        }
        drop(s);
        state.1.notify_all();
    }
    lock(&state.0).closed = true;
    state.1.notify_all();
}

fn read_netstring(reader: &mut impl Read) -> Option<Vec<u8>> {
    let mut len = 0usize;
    let mut byte = [0u8; 1];
    loop {
        reader.read_exact(&mut byte).ok()?;
        match byte[0] {
            b':' => break,
            d @ b'0'..=b'9' => {
                len = len.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
                if len > MAX_NETSTRING {
                    return None;
                }
            }
            _ => return None,
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    reader.read_exact(&mut byte).ok()?;
    (byte[0] == b',').then_some(body)
}

/// Removes ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netstrings_are_framed() {
        let mut input: &[u8] = b"5:hello,3:abc,";
        assert_eq!(read_netstring(&mut input).unwrap(), b"hello");
        assert_eq!(read_netstring(&mut input).unwrap(), b"abc");
        assert_eq!(read_netstring(&mut input), None);
        let mut bad: &[u8] = b"3:abcX";
        assert_eq!(read_netstring(&mut bad), None);
    }

    #[test]
    fn ansi_codes_are_removed() {
        assert_eq!(
            strip_ansi("> sip:1002@h \u{1b}[32mOK \u{1b}[;m kamailio"),
            "> sip:1002@h OK  kamailio"
        );
    }
}
