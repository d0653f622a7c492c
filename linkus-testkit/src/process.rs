//! A peer running as a child process, stopped by PID.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// How many lines of each log a failure prints.
const LOG_TAIL_LINES: usize = 80;

/// A child process started in its own process group (its PGID is its PID),
/// with stdout and stderr captured into `<dir>/<name>.stdout.log` and
/// `<dir>/<name>.stderr.log`.
///
/// [`stop`](Self::stop) (also run on drop) sends SIGTERM to that process
/// group, waits a bounded time for every process of the group to end, then
/// sends SIGKILL. Signals go by PID (`kill -s SIG -- -<pid>`), never by
/// program name, so nothing but our own child and the workers it forked is
/// touched. The group leader is reaped only after the group is gone, so its
/// PID cannot be reused by an unrelated process while we still signal it.
#[derive(Debug)]
pub struct PeerProcess {
    name: String,
    child: Child,
    dir: PathBuf,
    grace: Duration,
    status: Option<ExitStatus>,
}

impl PeerProcess {
    /// Spawns `cmd` (its stdio is replaced) as `name`, logging into `dir`.
    /// `package` names the Debian package to install when the program is
    /// missing.
    pub fn spawn(
        name: &str,
        program: &'static str,
        package: &'static str,
        mut cmd: Command,
        dir: &Path,
    ) -> Result<Self> {
        let out = log_file(dir, &format!("{name}.stdout.log"))?;
        let err = log_file(dir, &format!("{name}.stderr.log"))?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = spawn_child(&mut cmd, program, package)?;
        Ok(Self {
            name: name.to_owned(),
            child,
            dir: dir.to_owned(),
            grace: Duration::from_secs(3),
            status: None,
        })
    }

    /// Spawns `cmd` with piped stdin, stdout and stderr, which the caller
    /// reads and writes itself (nothing is logged to files).
    pub fn spawn_piped(
        name: &str,
        program: &'static str,
        package: &'static str,
        mut cmd: Command,
        dir: &Path,
    ) -> Result<(ChildStdin, ChildStdout, ChildStderr, Self)> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = spawn_child(&mut cmd, program, package)?;
        let pipes = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let this = Self {
            name: name.to_owned(),
            child,
            dir: dir.to_owned(),
            grace: Duration::from_secs(3),
            status: None,
        };
        match pipes {
            (Some(i), Some(o), Some(e)) => Ok((i, o, e, this)),
            _ => Err(Error::io(
                format!("piping {program}"),
                std::io::ErrorKind::BrokenPipe.into(),
            )),
        }
    }

    /// Sets how long [`stop`](Self::stop) waits after SIGTERM.
    pub fn set_grace(&mut self, grace: Duration) {
        self.grace = grace;
    }

    /// The child's PID (also its process group ID).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The directory holding the logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The captured stdout so far.
    pub fn stdout(&self) -> String {
        read_lossy(&self.dir.join(format!("{}.stdout.log", self.name)))
    }

    /// The captured stderr so far.
    pub fn stderr(&self) -> String {
        read_lossy(&self.dir.join(format!("{}.stderr.log", self.name)))
    }

    /// `Ok` while the process group leader runs, [`Error::Exited`] once it
    /// has exited (the logs are printed then).
    pub fn ensure_running(&mut self) -> Result<()> {
        if let Some(status) = self.leader_exit()? {
            self.print_logs();
            return Err(Error::Exited {
                peer: self.name.clone(),
                status: status.to_string(),
                logs: self.dir.clone(),
            });
        }
        Ok(())
    }

    /// Waits at most `timeout` for the leader to exit by itself; `None` if
    /// it still runs.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.leader_exit()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the whole process group: SIGTERM, a bounded wait, SIGKILL.
    /// Returns the leader's exit status. Idempotent.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        if let Some(status) = self.status {
            if !group_alive(self.pid()) {
                return Some(status);
            }
        }
        let pid = self.pid();
        if group_alive(pid) {
            let _ = signal_group(pid, "TERM");
            if !wait_group_gone(pid, self.grace) {
                crate::report(&format!(
                    "linkus-testkit: {} (pid {pid}) ignored SIGTERM for {:?}, sending SIGKILL",
                    self.name, self.grace
                ));
                let _ = signal_group(pid, "KILL");
                let _ = wait_group_gone(pid, Duration::from_secs(5));
            }
        }
        // The group is gone, so the leader is a zombie (or reaped): reap it.
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.status.is_none() && Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => self.status = Some(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => break,
            }
        }
        self.status
    }

    /// Prints the tail of both logs to stderr (shown by the test harness for
    /// a failing test).
    pub fn print_logs(&self) {
        for stream in ["stdout", "stderr"] {
            let path = self.dir.join(format!("{}.{stream}.log", self.name));
            let text = read_lossy(&path);
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
            crate::report(&format!(
                "----- {} {stream} ({}, last {} of {} lines) -----\n{}",
                self.name,
                path.display(),
                tail.len(),
                lines.len(),
                tail.join("\n")
            ));
        }
    }

    /// The leader's exit status if it has exited. Reaping it is safe here:
    /// while any process of its group lives, the PGID stays reserved.
    fn leader_exit(&mut self) -> Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self
                .child
                .try_wait()
                .map_err(|e| Error::io(format!("waiting for {}", self.name), e))?;
        }
        Ok(self.status)
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_logs();
        }
        self.stop();
    }
}

fn spawn_child(cmd: &mut Command, program: &'static str, package: &'static str) -> Result<Child> {
    cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NotInstalled { program, package }
        } else {
            Error::io(format!("starting {program}"), e)
        }
    })
}

fn log_file(dir: &Path, name: &str) -> Result<File> {
    let path = dir.join(name);
    File::create(&path).map_err(|e| Error::io(format!("creating {}", path.display()), e))
}

/// Reads a file as text, lossily; empty if unreadable.
pub fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// `kill -s SIG -- -<pgid>`: signals our own child's process group by ID.
fn signal_group(pgid: u32, signal: &str) -> Result<()> {
    let out = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotInstalled {
                    program: "kill",
                    package: "procps",
                }
            } else {
                Error::io("running kill", e)
            }
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Tool {
            tool: "kill",
            detail: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// Whether a process other than a zombie belongs to process group `pgid`
/// (read from `/proc/<pid>/stat`: state is field 3, pgrp field 5).
fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name (field 2) is in parentheses and may hold spaces.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = after.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1);
        if pgrp == Some(pgid.to_string().as_str()) && state != Some("Z") && state != Some("X") {
            return true;
        }
    }
    false
}

fn wait_group_gone(pgid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
