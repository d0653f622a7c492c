//! SIPp: runs a scenario as UAC or UAS and reports its exit status and
//! statistics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use crate::process::{PeerProcess, read_lossy};
use crate::{Error, Result, RunDir, Transport, net};

/// The scenario XMLs shipped with the kit (`peers/sipp/<name>`):
/// `register_auth.xml`, `register_auth_rejected.xml`, `uac_call_auth.xml`,
/// `uas_answer.xml`.
pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers/sipp")
        .join(name)
}

#[derive(Debug, Clone)]
enum Scenario {
    File(PathBuf),
    Builtin(String),
}

/// A SIPp run to set up, then [`run`](Self::run) (wait for it to finish) or
/// [`spawn`](Self::spawn) (in the background, e.g. a UAS).
#[derive(Debug, Clone)]
pub struct Sipp {
    scenario: Scenario,
    remote: Option<SocketAddr>,
    transport: Transport,
    service: Option<String>,
    auth: Option<(String, String)>,
    keys: Vec<(String, String)>,
    calls: u32,
    timeout: Duration,
    call_duration: Option<Duration>,
    extra: Vec<String>,
}

impl Sipp {
    /// A run of the scenario file `path` (see [`scenario_path`]).
    pub fn scenario(path: impl Into<PathBuf>) -> Self {
        Self::new(Scenario::File(path.into()))
    }

    /// A run of one of SIPp's built-in scenarios (`uac`, `uas`, ...).
    pub fn builtin(name: &str) -> Self {
        Self::new(Scenario::Builtin(name.to_owned()))
    }

    fn new(scenario: Scenario) -> Self {
        Self {
            scenario,
            remote: None,
            transport: Transport::Udp,
            service: None,
            auth: None,
            keys: Vec::new(),
            calls: 1,
            timeout: Duration::from_secs(15),
            call_duration: None,
            extra: Vec::new(),
        }
    }

    /// The peer to send to (needed for a UAC).
    pub fn remote(mut self, addr: SocketAddr) -> Self {
        self.remote = Some(addr);
        self
    }

    /// UDP (default) or TCP, one socket (`-t u1` / `-t t1`). Debian's SIPp
    /// is built without TLS: [`Transport::Tls`] fails with
    /// [`Error::InvalidConfig`].
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The service (`-s`): the Request-URI user, the user to register in
    /// `register_auth.xml`, the callee in `uac_call_auth.xml`.
    pub fn service(mut self, user: &str) -> Self {
        self.service = Some(user.to_owned());
        self
    }

    /// Default digest credentials of `[authentication]` (`-au`, `-ap`).
    pub fn auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// A scenario keyword (`-key name value`, used as `[name]`).
    pub fn key(mut self, name: &str, value: &str) -> Self {
        self.keys.push((name.to_owned(), value.to_owned()));
        self
    }

    /// How many calls to make or take before exiting (`-m`, default 1).
    pub fn calls(mut self, n: u32) -> Self {
        self.calls = n.max(1);
        self
    }

    /// SIPp's global timeout (`-timeout`, with `-timeout_error`); default
    /// 15 s. The kit kills it if it has not exited 5 s after that.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The length of a bare `<pause/>` (`-d`).
    pub fn call_duration(mut self, duration: Duration) -> Self {
        self.call_duration = Some(duration);
        self
    }

    /// Any other SIPp argument.
    pub fn arg(mut self, arg: &str) -> Self {
        self.extra.push(arg.to_owned());
        self
    }

    /// Runs SIPp to completion (bounded by the timeout) and returns what it
    /// reported.
    pub fn run(self) -> Result<SippOutcome> {
        let timeout = self.timeout;
        self.spawn()?.wait(timeout + Duration::from_secs(5))
    }

    /// Starts SIPp in the background and returns at once. A UAS binds its
    /// port within milliseconds; a UAC sending to it over UDP retransmits
    /// anyway (use [`SippRun::wait_listening`] to be sure).
    pub fn spawn(self) -> Result<SippRun> {
        if self.transport == Transport::Tls {
            return Err(Error::InvalidConfig(
                "Debian's SIPp is built without TLS".into(),
            ));
        }
        let dir = RunDir::new("sipp")?;
        let port = net::free_port()?;
        // Media: an RTP echo socket at -mp and the ports after it.
        let media_port = net::free_ports(4)?;
        let mut cmd = Command::new("sipp");
        if let Some(remote) = self.remote {
            cmd.arg(remote.to_string());
        }
        match &self.scenario {
            Scenario::File(path) => cmd.arg("-sf").arg(path),
            Scenario::Builtin(name) => cmd.args(["-sn", name]),
        };
        cmd.args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-p", &port.to_string(), "-mp", &media_port.to_string()])
            .args([
                "-t",
                if self.transport == Transport::Tcp {
                    "t1"
                } else {
                    "u1"
                },
            ])
            .args(["-m", &self.calls.to_string()])
            .args(["-timeout", &format!("{}ms", self.timeout.as_millis())])
            .args(["-timeout_error", "-nostdin"])
            .args(["-trace_err", "-error_file"])
            .arg(dir.join("errors.log"))
            .args(["-trace_msg", "-message_file"])
            .arg(dir.join("messages.log"))
            .args(["-trace_screen", "-screen_file"])
            .arg(dir.join("screen.log"));
        if let Some(service) = &self.service {
            cmd.args(["-s", service]);
        }
        if let Some((user, password)) = &self.auth {
            cmd.args(["-au", user, "-ap", password]);
        }
        for (k, v) in &self.keys {
            cmd.args(["-key", k, v]);
        }
        if let Some(d) = self.call_duration {
            cmd.args(["-d", &d.as_millis().to_string()]);
        }
        cmd.args(&self.extra);
        let process = PeerProcess::spawn("sipp", "sipp", "sip-tester", cmd, dir.path())?;
        Ok(SippRun {
            process,
            local: SocketAddr::from((net::LOOPBACK, port)),
            dir,
        })
    }
}

/// A SIPp running in the background; stopped by PID on drop.
#[derive(Debug)]
pub struct SippRun {
    process: PeerProcess,
    local: SocketAddr,
    dir: RunDir,
}

impl SippRun {
    /// The SIP address it listens on (`-i 127.0.0.1 -p <port>`).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Waits at most `timeout` until the SIPp socket is bound (seen in
    /// `/proc/net/udp` or `/proc/net/tcp`).
    pub fn wait_listening(&mut self, timeout: Duration) -> Result<()> {
        let port = self.local.port();
        let process = &mut self.process;
        net::wait_until(
            "sipp to bind its port",
            timeout,
            Duration::from_millis(20),
            || {
                process.ensure_running()?;
                Ok(net::port_bound(port))
            },
        )
    }

    /// Waits at most `timeout` for SIPp to exit and collects its report.
    /// If it is still running then, it is stopped and the outcome has no
    /// exit code.
    pub fn wait(mut self, timeout: Duration) -> Result<SippOutcome> {
        let status = match self.process.wait_timeout(timeout)? {
            Some(status) => Some(status),
            None => {
                crate::report(&format!(
                    "linkus-testkit: sipp still running after {timeout:?}, stopping it"
                ));
                self.process.stop();
                None
            }
        };
        let outcome = SippOutcome::collect(status, &self.dir, &self.process);
        if !outcome.success() {
            crate::report(&outcome.report());
        }
        Ok(outcome)
    }
}

/// What a SIPp run reported.
#[derive(Debug, Clone)]
pub struct SippOutcome {
    /// SIPp's exit code: 0 all calls succeeded, 1 at least one failed,
    /// 97 exit on internal command, 99 no call processed, 255/254 fatal
    /// errors; `None` if it had to be killed.
    pub exit_code: Option<i32>,
    /// "Successful call" (cumulative) of the final statistics screen.
    pub successful_calls: u64,
    /// "Failed call" (cumulative) of the final statistics screen.
    pub failed_calls: u64,
    /// The final screens (`-trace_screen`).
    pub screen: String,
    /// Every message sent and received (`-trace_msg`).
    pub messages: String,
    /// Unexpected messages and errors (`-trace_err`).
    pub errors: String,
    /// SIPp's stdout and stderr.
    pub output: String,
}

impl SippOutcome {
    fn collect(status: Option<ExitStatus>, dir: &RunDir, process: &PeerProcess) -> Self {
        let screen = read_lossy(&dir.join("screen.log"));
        Self {
            exit_code: status.and_then(|s| s.code()),
            successful_calls: stat(&screen, "Successful call"),
            failed_calls: stat(&screen, "Failed call"),
            messages: read_lossy(&dir.join("messages.log")),
            errors: read_lossy(&dir.join("errors.log")),
            output: format!("{}{}", process.stdout(), process.stderr()),
            screen,
        }
    }

    /// SIPp exited with 0: every call passed the scenario.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// The start lines of the traced messages, in order
    /// (`REGISTER sip:...`, `SIP/2.0 401 Unauthorized`, ...).
    pub fn start_lines(&self) -> Vec<&str> {
        // -trace_msg writes each message after a "----" separator line and
        // a "UDP message sent/received" line.
        let mut lines = Vec::new();
        let mut next_is_start = false;
        for line in self.messages.lines() {
            let line = line.trim_end();
            if line.contains("message sent") || line.contains("message received") {
                next_is_start = true;
                continue;
            }
            if next_is_start && !line.is_empty() {
                lines.push(line);
                next_is_start = false;
            }
        }
        lines
    }

    /// The status codes of the responses SIPp received, in order.
    pub fn received_statuses(&self) -> Vec<u16> {
        let mut codes = Vec::new();
        let mut received = false;
        for line in self.messages.lines() {
            if line.contains("message received") {
                received = true;
                continue;
            }
            if received && !line.trim().is_empty() {
                if let Some(code) = net::status_code(line.trim_end()) {
                    codes.push(code);
                }
                received = false;
            }
        }
        codes
    }

    /// A report for a failed assertion: exit code, counts, errors, message
    /// start lines and the last screen.
    pub fn report(&self) -> String {
        let screen_tail: Vec<&str> = self.screen.lines().rev().take(60).collect();
        format!(
            "----- sipp: exit {:?}, {} successful, {} failed -----\n\
             messages:\n  {}\nerrors:\n{}\noutput:\n{}\nscreen (end):\n{}",
            self.exit_code,
            self.successful_calls,
            self.failed_calls,
            self.start_lines().join("\n  "),
            self.errors,
            self.output
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n"),
            screen_tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        )
    }
}

/// The cumulative value of `counter` in the last statistics screen:
/// `  Successful call        |        0                  |        1   `.
fn stat(screen: &str, counter: &str) -> u64 {
    screen
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with(counter))
        .and_then(|l| l.rsplit('|').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_reads_the_cumulative_column() {
        let screen = "  Successful call        |        0                  |        3                 \n\
                      \x20 Failed call            |        0                  |        1                 \n";
        assert_eq!(stat(screen, "Successful call"), 3);
        assert_eq!(stat(screen, "Failed call"), 1);
        assert_eq!(stat(screen, "Other"), 0);
    }

    #[test]
    fn shipped_scenarios_exist() {
        for name in [
            "register_auth.xml",
            "register_auth_rejected.xml",
            "uac_call_auth.xml",
            "uas_answer.xml",
        ] {
            assert!(scenario_path(name).is_file(), "{name}");
        }
    }
}
