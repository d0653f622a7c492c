//! A call's media on its own thread: the thin driver around the sans-IO
//! [`AudioStream`] and [`AudioPath`].
//!
//! [`MediaSession::start`] takes a bound UDP socket, the negotiated
//! [`StreamConfig`] and an [`AudioDevice`], and runs one thread that, once
//! per packet interval, captures a frame (echo cancellation and gain in
//! the [`AudioPath`]), sends it, takes in what arrived, and plays the next
//! frame from the jitter buffer. The thread owns the clock; the stream and
//! the path stay deterministic and testable without it. Commands (DTMF,
//! mute, hold, new remote address, device switch, recording) go to the
//! thread through a channel; [`MediaEvent`]s come back through the
//! `on_event` function, called on the media thread — forward them to your
//! own event queue (`linkus-core` does).
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use linkus_media::audio::NullDevice;
//! use linkus_media::codec::Codec;
//! use linkus_media::session::MediaSession;
//! use linkus_media::stream::StreamConfig;
//!
//! let socket = UdpSocket::bind("127.0.0.1:0")?;
//! let cfg = StreamConfig::new(Codec::G722, 9, "127.0.0.1:40000".parse().unwrap(), 0x1234);
//! let media = MediaSession::start(socket, cfg, Box::new(NullDevice::new(16_000, 1)), |event| {
//!     println!("{event:?}");
//! })?;
//! media.send_dtmf('5', std::time::Duration::from_millis(100))?;
//! let report = media.stop();
//! println!("{:?}", report.stats);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![allow(
    clippy::disallowed_methods,
    reason = "the media thread is the driver: it reads the clock and sleeps"
)]

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Error;
use crate::audio::{AudioConfig, AudioDevice, AudioPath, RecordingId, RecordingLayout, WriteSeek};
use crate::stream::{AudioStream, MAX_DATAGRAM, MediaEvent, StreamConfig, StreamStats};

enum Command {
    Dtmf(char, Duration),
    Mute(bool),
    Hold(bool),
    Remote(SocketAddr, Option<SocketAddr>),
    Device(Box<dyn AudioDevice>),
    Record(
        Box<dyn WriteSeek>,
        RecordingLayout,
        Sender<Result<RecordingId, Error>>,
    ),
    StopRecording(RecordingId),
    Gains(f32, f32),
    Stop,
}

/// What a finished session hands back.
#[derive(Debug)]
pub struct SessionReport {
    /// The stream's final statistics.
    pub stats: StreamStats,
    /// The audio device, finished (its recording written), if the audio
    /// path could be built.
    pub device: Option<Box<dyn AudioDevice>>,
    /// The first error that stopped the media thread or failed at the end.
    pub error: Option<Error>,
}

/// A call's media running on its own thread. Stop it with
/// [`stop`](Self::stop); dropping it stops it too.
#[derive(Debug)]
pub struct MediaSession {
    commands: Sender<Command>,
    thread: Option<JoinHandle<SessionReport>>,
    local_addr: SocketAddr,
    stats: Arc<Mutex<StreamStats>>,
}

struct Media {
    socket: UdpSocket,
    stream: AudioStream,
    path: AudioPath,
    muted: bool,
    held: bool,
    stats: Arc<Mutex<StreamStats>>,
}

impl MediaSession {
    /// Starts the media thread for `stream` on `socket` (bound already: its
    /// port is in the SDP) with `device` as microphone and speaker, echo
    /// cancellation on and no gain.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a stream or device the
    /// [`AudioStream`]/[`AudioPath`] refuse; [`Error::Io`] when the socket
    /// cannot be made non-blocking or the thread cannot start.
    pub fn start(
        socket: UdpSocket,
        stream: StreamConfig,
        device: Box<dyn AudioDevice>,
        on_event: impl FnMut(MediaEvent) + Send + 'static,
    ) -> Result<Self, Error> {
        let stream = AudioStream::new(stream)?;
        let info = stream.config().codec.info();
        let audio = AudioConfig::new(info.sample_rate, stream.frame_samples());
        Self::start_with(socket, stream, device, audio, on_event)
    }

    /// As [`start`](Self::start) with the user's audio settings (echo
    /// cancellation, send and receive gain); their `sample_rate` and
    /// `frame_samples` are taken from the stream.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn start_with(
        socket: UdpSocket,
        stream: AudioStream,
        device: Box<dyn AudioDevice>,
        mut audio: AudioConfig,
        mut on_event: impl FnMut(MediaEvent) + Send + 'static,
    ) -> Result<Self, Error> {
        audio.sample_rate = stream.config().codec.info().sample_rate;
        audio.frame_samples = stream.frame_samples();
        socket.set_nonblocking(true)?;
        let local_addr = socket.local_addr()?;
        let stats = Arc::new(Mutex::new(stream.stats()));
        let (commands, rx) = channel();
        // The echo canceller is not `Send`: the path is built on the media
        // thread, and a failure is reported back before `start` returns.
        let (ready_tx, ready_rx) = channel();
        let shared = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("linkus-media".into())
            .spawn(move || {
                let path = match AudioPath::new(device, audio) {
                    Ok(p) => {
                        let _ = ready_tx.send(Ok(()));
                        p
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.clone()));
                        return SessionReport {
                            stats: stream.stats(),
                            device: None,
                            error: Some(e),
                        };
                    }
                };
                let media = Media {
                    socket,
                    stream,
                    path,
                    muted: false,
                    held: false,
                    stats: shared,
                };
                media.run(&rx, &mut on_event)
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                commands,
                thread: Some(thread),
                local_addr,
                stats,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(Error::InvalidConfig {
                reason: "the media thread ended before it started",
            }),
        }
    }

    /// The local RTP (and RTCP, with rtcp-mux) address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn send(&self, c: Command) -> Result<(), Error> {
        self.commands.send(c).map_err(|_| Error::InvalidConfig {
            reason: "the media session has stopped",
        })
    }

    /// Sends a DTMF digit as RFC 4733 events.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the session has stopped (a digit the
    /// stream refuses is reported by the stream as it is sent and dropped).
    pub fn send_dtmf(&self, digit: char, duration: Duration) -> Result<(), Error> {
        self.send(Command::Dtmf(digit, duration))
    }

    /// Mutes the microphone (silence is sent, so the peer's jitter buffer
    /// and NAT bindings stay alive).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the session has stopped.
    pub fn set_mute(&self, muted: bool) -> Result<(), Error> {
        self.send(Command::Mute(muted))
    }

    /// Stops (or resumes) sending RTP, for hold; RTCP continues.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the session has stopped.
    pub fn set_hold(&self, held: bool) -> Result<(), Error> {
        self.send(Command::Hold(held))
    }

    /// Sends to a new address (re-INVITE, ICE).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the session has stopped.
    pub fn set_remote(&self, rtp: SocketAddr, rtcp: Option<SocketAddr>) -> Result<(), Error> {
        self.send(Command::Remote(rtp, rtcp))
    }

    /// Switches to another audio device mid-call (FEATURES I4).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the session has stopped.
    pub fn switch_device(&self, device: Box<dyn AudioDevice>) -> Result<(), Error> {
        self.send(Command::Device(device))
    }

    /// Sets the send and receive gain in dB (−20 to +20).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the session has stopped.
    pub fn set_gains(&self, send_db: f32, receive_db: f32) -> Result<(), Error> {
        self.send(Command::Gains(send_db, receive_db))
    }

    /// Starts recording the call into `out` (FEATURES D11).
    ///
    /// # Errors
    ///
    /// What [`AudioPath::start_recording`] reports; [`Error::InvalidConfig`]
    /// if the session has stopped.
    pub fn start_recording(
        &self,
        out: Box<dyn WriteSeek>,
        layout: RecordingLayout,
    ) -> Result<RecordingId, Error> {
        let (tx, rx) = channel();
        self.send(Command::Record(out, layout, tx))?;
        rx.recv().map_err(|_| Error::InvalidConfig {
            reason: "the media session has stopped",
        })?
    }

    /// Stops a recording (its WAV header is written).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the session has stopped.
    pub fn stop_recording(&self, id: RecordingId) -> Result<(), Error> {
        self.send(Command::StopRecording(id))
    }

    /// The stream's statistics as of the last packet interval.
    pub fn stats(&self) -> StreamStats {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sends an RTCP goodbye, stops the thread and returns the final
    /// statistics and the device.
    pub fn stop(mut self) -> SessionReport {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> SessionReport {
        let _ = self.commands.send(Command::Stop);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(report)) => report,
            _ => SessionReport {
                stats: self.stats(),
                device: None,
                error: Some(Error::InvalidConfig {
                    reason: "the media thread panicked",
                }),
            },
        }
    }
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop_inner();
        }
    }
}

impl Media {
    fn run(
        mut self,
        commands: &Receiver<Command>,
        on_event: &mut impl FnMut(MediaEvent),
    ) -> SessionReport {
        let ptime = self.stream.config().ptime;
        let frame = self.stream.frame_samples();
        let mut pcm = vec![0i16; frame];
        let mut wire = [0u8; MAX_DATAGRAM];
        let mut rx = [0u8; MAX_DATAGRAM];
        let start = Instant::now();
        let mut tick: u32 = 0;
        let mut error = None;
        'run: loop {
            loop {
                match commands.try_recv() {
                    Ok(Command::Stop) | Err(TryRecvError::Disconnected) => break 'run,
                    Ok(c) => self.command(c),
                    Err(TryRecvError::Empty) => break,
                }
            }
            let now = start.elapsed();
            loop {
                match self.socket.recv_from(&mut rx) {
                    Ok((len, from)) => self.stream.receive(now, from, &rx[..len]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    // ICMP port unreachable from a previous send: ignore.
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                    Err(_) => break,
                }
            }
            if let Err(e) = self.path.capture(&mut pcm) {
                error.get_or_insert(e);
                pcm.fill(0);
            }
            if self.muted {
                pcm.fill(0);
            }
            if !self.held {
                match self.stream.send_frame(now, &pcm, &mut wire) {
                    Ok(tx) => {
                        let _ = self.socket.send_to(&wire[..tx.len], tx.to);
                    }
                    Err(e) => {
                        error.get_or_insert(e);
                    }
                }
            }
            if self.stream.play_frame(now, &mut pcm).is_ok()
                && let Err(e) = self.path.playback(&pcm)
            {
                error.get_or_insert(e);
            }
            if let Some(t) = self.stream.poll_rtcp(now, &mut wire) {
                let _ = self.socket.send_to(&wire[..t.len], t.to);
            }
            while let Some(event) = self.stream.poll_event() {
                on_event(event);
            }
            *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = self.stream.stats();
            tick = tick.wrapping_add(1);
            let next = ptime * tick;
            let elapsed = start.elapsed();
            if next > elapsed {
                std::thread::sleep(next - elapsed);
            }
        }
        if let Ok(t) = self
            .stream
            .goodbye(start.elapsed(), "session ended", &mut wire)
        {
            let _ = self.socket.send_to(&wire[..t.len], t.to);
        }
        let stats = self.stream.stats();
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = stats.clone();
        let device = match self.path.finish() {
            Ok(d) => Some(d),
            Err(e) => {
                error.get_or_insert(e);
                None
            }
        };
        SessionReport {
            stats,
            device,
            error,
        }
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Dtmf(d, dur) => {
                let _ = self.stream.send_dtmf(d, dur);
            }
            Command::Mute(m) => self.muted = m,
            Command::Hold(h) => self.held = h,
            Command::Remote(rtp, rtcp) => self.stream.set_remote(rtp, rtcp),
            Command::Device(d) => {
                let _ = self.path.switch_device(d);
            }
            Command::Record(out, layout, reply) => {
                let _ = reply.send(self.path.start_recording(out, layout));
            }
            Command::StopRecording(id) => {
                let _ = self.path.stop_recording(id);
            }
            Command::Gains(send, recv) => {
                let _ = self.path.set_send_gain_db(send);
                let _ = self.path.set_receive_gain_db(recv);
            }
            Command::Stop => {}
        }
    }
}
