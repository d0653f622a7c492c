//! The [`Core`]: SIP calls with their media, behind one typed async API and
//! one event stream.
//!
//! A `Core` owns a SIP endpoint (`linkus-sip`'s tokio driver) and, per call,
//! an SDP [`Negotiator`] and a [`MediaSession`] (`linkus-media`: RTP/SRTP,
//! jitter buffer, codecs, echo cancellation, the audio device). Calls are
//! placed with [`Core::dial`], taken with [`Core::answer`] after an
//! [`Event::IncomingCall`] (or automatically, [`CoreBuilder::auto_answer`]),
//! and ended with [`Core::hangup`]. Everything that happens arrives as one
//! [`Event`] stream from [`Core::next_event`], on the caller's task: no
//! callbacks run on threads the app does not know.
//!
//! ```no_run
//! # async fn demo() -> Result<(), linkus_core::Error> {
//! use linkus_core::{CallState, Core, Event};
//!
//! let mut core = Core::builder().sip_udp("127.0.0.1:5070".parse().unwrap()).start().await?;
//! let call = core.dial("sip:bob@127.0.0.1:5080").await?;
//! while let Some(event) = core.next_event().await {
//!     match event {
//!         Event::CallState { state: CallState::Answered { codec }, .. } => {
//!             println!("talking with {codec}");
//!             core.hangup(call).await?;
//!         }
//!         Event::CallState { state: CallState::Ended { .. }, .. } => break,
//!         _ => {}
//!     }
//! }
//! core.shutdown().await;
//! # Ok(()) }
//! ```
#![allow(
    clippy::disallowed_methods,
    reason = "the Core is the driver: its auto-answer timer sleeps on tokio"
)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use linkus_media::audio::{AudioDevice, NullDevice, RecordingId, RecordingLayout, WriteSeek};
use linkus_media::codec::Codec;
use linkus_media::sdp::{CryptoSuite, LocalMedia, Negotiator, SessionDescription, SrtpPolicy};
use linkus_media::session::MediaSession;
use linkus_media::stream::{MediaEvent, StreamConfig, StreamStats};
use linkus_sip::driver::Endpoint;
use linkus_sip::message::typed::{NameAddr, Transport};
use linkus_sip::message::{HeaderName, Uri};
use linkus_sip::transaction::Peer;
use linkus_sip::ua::{Body, EndReason, InviteConfig, SessionEvent, SessionId, UaEvent};
use tokio::sync::mpsc;

use crate::Error;

/// Makes the audio device of a new call (the platform's microphone and
/// speaker; a WAV file in tests and examples).
pub type DeviceFactory = Arc<dyn Fn() -> Box<dyn AudioDevice> + Send + Sync>;

/// A live call of a [`Core`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(SessionId);

/// Where a call is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CallState {
    /// We sent the INVITE.
    Dialing,
    /// The callee is alerted (180/183).
    Ringing,
    /// The call is up; audio flows with this codec.
    Answered {
        /// The codec's SDP name.
        codec: String,
    },
    /// The call is over.
    Ended {
        /// Why.
        reason: CallEnd,
        /// The media statistics (packets, loss, jitter, RTT, MOS), when
        /// media flowed.
        quality: Option<StreamStats>,
    },
}

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallEnd {
    /// We hung up.
    Local,
    /// The other side hung up.
    Remote,
    /// The callee refused (status 486, 603, …).
    Rejected(u16),
    /// The caller gave up before the answer.
    Cancelled,
    /// No answer from the network.
    Timeout,
    /// Signalling or media could not be set up (malformed SDP, no common
    /// codec, transport failure).
    Failed(String),
}

/// Everything a [`Core`] reports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// Someone calls: [`Core::answer`] or [`Core::reject`] it (or wait for
    /// the auto-answer).
    IncomingCall {
        /// The call.
        call: CallHandle,
        /// The caller (`From` header).
        from: String,
    },
    /// A call changed state.
    CallState {
        /// The call.
        call: CallHandle,
        /// Its new state.
        state: CallState,
    },
    /// Something about a call's media: a DTMF digit, no RTP, one-way audio…
    Media {
        /// The call.
        call: CallHandle,
        /// What happened.
        event: MediaEvent,
    },
}

/// Settings of a [`Core`]; [`Core::builder`] starts with the defaults.
#[derive(Clone)]
pub struct CoreBuilder {
    sip_udp: SocketAddr,
    media_ip: Option<IpAddr>,
    user: String,
    codecs: Vec<Codec>,
    srtp: SrtpPolicy,
    auto_answer: Option<Duration>,
    device: DeviceFactory,
    user_agent: String,
}

impl std::fmt::Debug for CoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreBuilder")
            .field("sip_udp", &self.sip_udp)
            .field("media_ip", &self.media_ip)
            .field("user", &self.user)
            .field("codecs", &self.codecs)
            .field("auto_answer", &self.auto_answer)
            .finish_non_exhaustive()
    }
}

impl CoreBuilder {
    /// The UDP address SIP listens on (default `0.0.0.0:5060`).
    pub fn sip_udp(mut self, addr: SocketAddr) -> Self {
        self.sip_udp = addr;
        self
    }

    /// The address RTP binds to and SDP announces (default: the SIP
    /// address's IP).
    pub fn media_ip(mut self, ip: IpAddr) -> Self {
        self.media_ip = Some(ip);
        self
    }

    /// The user part of our SIP URI (default `linkus`).
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_owned();
        self
    }

    /// The voice codecs to offer and accept, most preferred first (FEATURES
    /// I1; default G.722, Opus, G.711 µ-law, G.711 A-law).
    pub fn codecs(mut self, codecs: Vec<Codec>) -> Self {
        self.codecs = codecs;
        self
    }

    /// The SRTP policy (default: offer SDES-SRTP, accept plain RTP).
    pub fn srtp(mut self, srtp: SrtpPolicy) -> Self {
        self.srtp = srtp;
        self
    }

    /// Answers incoming calls by itself after `delay` (FEATURES D13: 0 to
    /// 60 s).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for a delay over 60 s.
    pub fn auto_answer(mut self, delay: Duration) -> Result<Self, Error> {
        if delay > Duration::from_secs(60) {
            return Err(Error::InvalidSetting {
                setting: "auto_answer.delay",
                reason: "0 to 60 seconds".into(),
            });
        }
        self.auto_answer = Some(delay);
        Ok(self)
    }

    /// Makes the audio device of each call (default: silence in, nothing
    /// out, at 16 kHz).
    pub fn audio_device(mut self, factory: DeviceFactory) -> Self {
        self.device = factory;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: &str) -> Self {
        self.user_agent = ua.to_owned();
        self
    }

    /// Binds SIP and starts the Core's task.
    ///
    /// # Errors
    ///
    /// [`Error::Sip`] when the SIP socket cannot be bound.
    pub async fn start(self) -> Result<Core, Error> {
        let (endpoint, ua_events) = Endpoint::builder()
            .udp(self.sip_udp)
            .user_agent(&self.user_agent)
            .build()
            .await?;
        let endpoint = Arc::new(endpoint);
        let local = endpoint
            .local_addr(&Transport::Udp)
            .ok_or(Error::CallState("no UDP transport"))?;
        let media_ip = self.media_ip.unwrap_or(local.ip());
        let (events_tx, events) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            endpoint: Arc::clone(&endpoint),
            calls: Mutex::new(HashMap::new()),
            events: events_tx,
            cfg: self,
            media_ip,
            local,
        });
        let task = tokio::spawn(run(Arc::clone(&shared), ua_events));
        Ok(Core {
            shared,
            events,
            task,
        })
    }
}

struct CallEntry {
    negotiator: Negotiator,
    socket: Option<UdpSocket>,
    media: Option<MediaSession>,
    /// UAS: the answer to send with the 2xx.
    answer: Option<String>,
    incoming: bool,
}

struct Shared {
    endpoint: Arc<Endpoint>,
    calls: Mutex<HashMap<SessionId, CallEntry>>,
    events: mpsc::UnboundedSender<Event>,
    cfg: CoreBuilder,
    media_ip: IpAddr,
    local: SocketAddr,
}

impl Shared {
    fn calls(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, CallEntry>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn negotiator(&self) -> Result<(Negotiator, UdpSocket), Error> {
        let socket = UdpSocket::bind((self.media_ip, 0)).map_err(|e| Error::Media(e.into()))?;
        let port = socket
            .local_addr()
            .map_err(|e| Error::Media(e.into()))?
            .port();
        let local = LocalMedia::new(self.media_ip, port)
            .with_codecs(self.cfg.codecs.clone())
            .with_srtp(self.cfg.srtp.clone());
        let negotiator = Negotiator::new(local, random_key);
        Ok((negotiator, socket))
    }

    /// Starts the call's media from its negotiated SDP.
    fn start_media(
        self: &Arc<Self>,
        session: SessionId,
        media: &[linkus_media::sdp::NegotiatedMedia],
    ) -> Result<String, Error> {
        let audio = media
            .iter()
            .find(|m| m.media == "audio")
            .ok_or(Error::RemoteSdp("no audio stream accepted".into()))?;
        let ssrc = random_u32();
        let cfg = StreamConfig::from_negotiated(audio, ssrc)?;
        let codec = cfg.codec.info().name.to_owned();
        let mut calls = self.calls();
        let entry = calls.get_mut(&session).ok_or(Error::NoSuchCall)?;
        let socket = entry
            .socket
            .take()
            .ok_or(Error::CallState("media already started"))?;
        let events = self.events.clone();
        let call = CallHandle(session);
        let device = (self.cfg.device)();
        let m = MediaSession::start(socket, cfg, device, move |event| {
            let _ = events.send(Event::Media { call, event });
        })?;
        entry.media = Some(m);
        Ok(codec)
    }

    fn end(&self, session: SessionId, reason: CallEnd) {
        let entry = self.calls().remove(&session);
        let quality = entry.and_then(|e| e.media).map(|m| m.stop().stats);
        self.emit(Event::CallState {
            call: CallHandle(session),
            state: CallState::Ended { reason, quality },
        });
    }
}

/// SRTP keys from the operating system's random source.
fn random_key(_: &CryptoSuite, key: &mut [u8]) {
    fill_random(key);
}

fn fill_random(buf: &mut [u8]) {
    use ring::rand::SecureRandom as _;
    if ring::rand::SystemRandom::new().fill(buf).is_err() {
        // No system randomness: never expected on a supported OS; keys
        // would be weak, so make the SRTP handshake fail instead.
        buf.fill(0);
    }
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    fill_random(&mut b);
    u32::from_le_bytes(b)
}

fn end_reason(r: &EndReason) -> CallEnd {
    match r {
        EndReason::Local => CallEnd::Local,
        EndReason::RemoteBye => CallEnd::Remote,
        EndReason::Rejected { status } => CallEnd::Rejected(*status),
        EndReason::Cancelled => CallEnd::Cancelled,
        EndReason::Timeout => CallEnd::Timeout,
        other => CallEnd::Failed(format!("{other:?}")),
    }
}

fn parse_sdp(body: Option<&Body>) -> Result<SessionDescription, Error> {
    let body = body.ok_or(Error::RemoteSdp("no SDP".into()))?;
    let text =
        std::str::from_utf8(&body.bytes).map_err(|_| Error::RemoteSdp("not UTF-8".into()))?;
    SessionDescription::parse(text).map_err(|e| Error::RemoteSdp(e.to_string()))
}

async fn run(shared: Arc<Shared>, mut ua_events: mpsc::UnboundedReceiver<UaEvent>) {
    while let Some(event) = ua_events.recv().await {
        match event {
            UaEvent::IncomingCall { session, request } => {
                incoming(&shared, session, &request).await
            }
            UaEvent::Session { session, event } => session_event(&shared, session, event).await,
            _ => {}
        }
    }
}

async fn incoming(
    shared: &Arc<Shared>,
    session: SessionId,
    request: &linkus_sip::message::Request,
) {
    let from = request
        .headers
        .get(HeaderName::From)
        .unwrap_or_default()
        .to_owned();
    let prepared = (|| -> Result<CallEntry, Error> {
        let (mut negotiator, socket) = shared.negotiator()?;
        let offer = parse_sdp(
            (!request.body.is_empty())
                .then(|| Body::sdp(request.body.to_vec()))
                .as_ref(),
        )?;
        let (answer, _) = negotiator.receive_offer(&offer)?;
        Ok(CallEntry {
            negotiator,
            socket: Some(socket),
            media: None,
            answer: Some(answer.to_string()),
            incoming: true,
        })
    })();
    match prepared {
        Ok(entry) => {
            shared.calls().insert(session, entry);
            let _ = shared
                .endpoint
                .with_ua(move |ua, now| ua.progress(now, session, 180, None))
                .await;
            shared.emit(Event::IncomingCall {
                call: CallHandle(session),
                from,
            });
            if let Some(delay) = shared.cfg.auto_answer {
                let shared = Arc::clone(shared);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = answer(&shared, session).await;
                });
            }
        }
        Err(e) => {
            // Malformed or unusable offer: 488 Not Acceptable Here.
            let _ = shared
                .endpoint
                .with_ua(move |ua, now| ua.reject(now, session, 488))
                .await;
            shared.emit(Event::CallState {
                call: CallHandle(session),
                state: CallState::Ended {
                    reason: CallEnd::Failed(e.to_string()),
                    quality: None,
                },
            });
        }
    }
}

async fn answer(shared: &Arc<Shared>, session: SessionId) -> Result<(), Error> {
    let (sdp, negotiated) = {
        let mut calls = shared.calls();
        let entry = calls.get_mut(&session).ok_or(Error::NoSuchCall)?;
        if !entry.incoming {
            return Err(Error::CallState("only incoming calls are answered"));
        }
        let sdp = entry
            .answer
            .take()
            .ok_or(Error::CallState("already answered"))?;
        (sdp, entry.negotiator.negotiated().to_vec())
    };
    let codec = shared.start_media(session, &negotiated)?;
    shared
        .endpoint
        .with_ua(move |ua, now| ua.answer(now, session, Some(Body::sdp(sdp))))
        .await??;
    shared.emit(Event::CallState {
        call: CallHandle(session),
        state: CallState::Answered { codec },
    });
    Ok(())
}

async fn session_event(shared: &Arc<Shared>, session: SessionId, event: SessionEvent) {
    match event {
        SessionEvent::Progress { status, .. } if (180..=183).contains(&status) => {
            shared.emit(Event::CallState {
                call: CallHandle(session),
                state: CallState::Ringing,
            });
        }
        SessionEvent::Answered { body } => {
            let result = (|| -> Result<String, Error> {
                let answer = parse_sdp(body.as_ref())?;
                let media = {
                    let mut calls = shared.calls();
                    let entry = calls.get_mut(&session).ok_or(Error::NoSuchCall)?;
                    entry.negotiator.receive_answer(&answer)?
                };
                shared.start_media(session, &media)
            })();
            match result {
                Ok(codec) => shared.emit(Event::CallState {
                    call: CallHandle(session),
                    state: CallState::Answered { codec },
                }),
                Err(e) => {
                    // Unusable answer: the call cannot carry audio; end it.
                    let _ = shared
                        .endpoint
                        .with_ua(move |ua, now| ua.hangup(now, session))
                        .await;
                    shared.calls().remove(&session);
                    shared.emit(Event::CallState {
                        call: CallHandle(session),
                        state: CallState::Ended {
                            reason: CallEnd::Failed(e.to_string()),
                            quality: None,
                        },
                    });
                }
            }
        }
        // A call already ended locally (failed answer) is not in the map.
        SessionEvent::Ended { reason } if shared.calls().contains_key(&session) => {
            shared.end(session, end_reason(&reason));
        }
        _ => {}
    }
}

/// The facade: see the [module docs](self).
pub struct Core {
    shared: Arc<Shared>,
    events: mpsc::UnboundedReceiver<Event>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("sip", &self.shared.local)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// The defaults: SIP on UDP `0.0.0.0:5060`, G.722/Opus/G.711, SDES-SRTP
    /// offered, no auto-answer, a silent audio device.
    pub fn builder() -> CoreBuilder {
        CoreBuilder {
            sip_udp: SocketAddr::from(([0, 0, 0, 0], 5060)),
            media_ip: None,
            user: "linkus".into(),
            codecs: vec![Codec::G722, Codec::Opus, Codec::Pcmu, Codec::Pcma],
            srtp: SrtpPolicy::Offer(vec![
                CryptoSuite::AesCm128HmacSha1_80,
                CryptoSuite::AeadAes128Gcm,
            ]),
            auto_answer: None,
            device: Arc::new(|| Box::new(NullDevice::new(16_000, 1)) as Box<dyn AudioDevice>),
            user_agent: concat!("linkus-sdk/", env!("CARGO_PKG_VERSION")).into(),
        }
    }

    /// The address SIP listens on.
    pub fn sip_addr(&self) -> SocketAddr {
        self.shared.local
    }

    /// Our SIP URI (`sip:<user>@<address>`).
    pub fn uri(&self) -> String {
        format!("sip:{}@{}", self.shared.cfg.user, self.shared.local)
    }

    /// Calls `target`, a SIP URI with the host to send to
    /// (`sip:bob@192.0.2.7:5060`).
    ///
    /// # Errors
    ///
    /// [`Error::Sip`] for a malformed URI or an unresolvable host;
    /// [`Error::Media`] when no RTP port can be bound.
    pub async fn dial(&self, target: &str) -> Result<CallHandle, Error> {
        let uri = Uri::parse(target)?;
        let sip = uri.as_sip().ok_or(Error::CallState(
            "only sip: and sips: URIs can be dialled directly",
        ))?;
        let hostport = match sip.port {
            Some(p) => format!("{}:{p}", sip.host),
            None => sip.host.to_string(),
        };
        let peer: Peer = self
            .shared
            .endpoint
            .resolve(&hostport, &Transport::Udp)
            .await?;
        let (mut negotiator, socket) = self.shared.negotiator()?;
        let offer = negotiator.create_offer()?.to_string();
        let from = NameAddr::new(Uri::parse(&self.uri())?);
        let cfg = InviteConfig {
            target: uri,
            from,
            peer,
            route: Vec::new(),
            offer: Some(Body::sdp(offer)),
            extra_headers: Vec::new(),
            account: None,
            credentials: None,
        };
        // The entry must exist before the first response can arrive.
        let shared = Arc::clone(&self.shared);
        let session = self
            .shared
            .endpoint
            .with_ua(move |ua, now| {
                let session = ua.invite(now, cfg)?;
                shared.calls().insert(
                    session,
                    CallEntry {
                        negotiator,
                        socket: Some(socket),
                        media: None,
                        answer: None,
                        incoming: false,
                    },
                );
                Ok::<_, linkus_sip::Error>(session)
            })
            .await??;
        self.shared.emit(Event::CallState {
            call: CallHandle(session),
            state: CallState::Dialing,
        });
        Ok(CallHandle(session))
    }

    /// Answers an incoming call.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchCall`], [`Error::CallState`] for a call we placed or
    /// one already answered, [`Error::Media`] when the audio cannot start.
    pub async fn answer(&self, call: CallHandle) -> Result<(), Error> {
        answer(&self.shared, call.0).await
    }

    /// Rejects an incoming call with `status` (486 Busy Here, 603 Decline).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchCall`]; [`Error::Sip`] if the call is past ringing.
    pub async fn reject(&self, call: CallHandle, status: u16) -> Result<(), Error> {
        let s = self.live(call)?;
        self.shared
            .endpoint
            .with_ua(move |ua, now| ua.reject(now, s, status))
            .await??;
        Ok(())
    }

    /// Hangs up (BYE, or CANCEL before the answer).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchCall`]; [`Error::Sip`] from the user agent.
    pub async fn hangup(&self, call: CallHandle) -> Result<(), Error> {
        let s = self.live(call)?;
        self.shared
            .endpoint
            .with_ua(move |ua, now| ua.hangup(now, s))
            .await??;
        Ok(())
    }

    /// The call's session, if it is live.
    fn live(&self, call: CallHandle) -> Result<SessionId, Error> {
        if self.shared.calls().contains_key(&call.0) {
            Ok(call.0)
        } else {
            Err(Error::NoSuchCall)
        }
    }

    fn with_media<T>(
        &self,
        call: CallHandle,
        f: impl FnOnce(&MediaSession) -> Result<T, linkus_media::Error>,
    ) -> Result<T, Error> {
        let calls = self.shared.calls();
        let media = calls
            .get(&call.0)
            .ok_or(Error::NoSuchCall)?
            .media
            .as_ref()
            .ok_or(Error::CallState("no media yet"))?;
        Ok(f(media)?)
    }

    /// Sends a DTMF digit (RFC 4733).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchCall`], [`Error::CallState`] before the answer.
    pub fn send_dtmf(&self, call: CallHandle, digit: char) -> Result<(), Error> {
        self.with_media(call, |m| m.send_dtmf(digit, Duration::from_millis(100)))
    }

    /// Mutes or unmutes the microphone.
    ///
    /// # Errors
    ///
    /// As [`send_dtmf`](Self::send_dtmf).
    pub fn set_mute(&self, call: CallHandle, muted: bool) -> Result<(), Error> {
        self.with_media(call, |m| m.set_mute(muted))
    }

    /// Records the call into `out` (a WAV stream; mono mix or stereo with
    /// local left and remote right).
    ///
    /// # Errors
    ///
    /// As [`send_dtmf`](Self::send_dtmf), and what writing the header
    /// reports.
    pub fn start_recording(
        &self,
        call: CallHandle,
        out: Box<dyn WriteSeek>,
        layout: RecordingLayout,
    ) -> Result<RecordingId, Error> {
        self.with_media(call, |m| m.start_recording(out, layout))
    }

    /// The call's media statistics so far.
    ///
    /// # Errors
    ///
    /// As [`send_dtmf`](Self::send_dtmf).
    pub fn call_stats(&self, call: CallHandle) -> Result<StreamStats, Error> {
        self.with_media(call, |m| Ok(m.stats()))
    }

    /// The next event; `None` once the Core has shut down.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Ends every call's media, closes SIP and stops the Core's task.
    pub async fn shutdown(self) {
        let entries: Vec<CallEntry> = self.shared.calls().drain().map(|(_, e)| e).collect();
        for e in entries {
            if let Some(m) = e.media {
                let _ = m.stop();
            }
        }
        self.shared.endpoint.shutdown().await;
        self.task.abort();
    }
}
