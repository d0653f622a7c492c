//! The crate's error type.

/// Everything that can go wrong in `linkus-media`.
///
/// Codecs never panic on any input: a wrong buffer size, a frame length the
/// codec cannot take or a payload it cannot decode is reported here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller-provided output buffer cannot hold the result.
    #[error("output buffer too small: {needed} needed, {available} available")]
    BufferTooSmall {
        /// Elements (bytes for encoders, samples for decoders) the call would write.
        needed: usize,
        /// Length of the buffer that was passed.
        available: usize,
    },
    /// The number of PCM samples is not one frame of a duration the codec allows.
    #[error("{codec}: {samples} samples is not a frame of an allowed duration")]
    BadFrameSize {
        /// SDP name of the codec (`PCMU`, `G722`, ...).
        codec: &'static str,
        /// Number of samples that was passed.
        samples: usize,
    },
    /// The payload cannot be decoded by this codec.
    #[error("{codec}: corrupt payload: {reason}")]
    CorruptPayload {
        /// SDP name of the codec.
        codec: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The codec has no forward error correction data to decode.
    #[error("{codec}: forward error correction is not supported")]
    FecNotSupported {
        /// SDP name of the codec.
        codec: &'static str,
    },
    /// A packet from the network (RTP, RTCP, SRTP, ...) is malformed or
    /// fails authentication.
    #[error("{protocol}: malformed packet: {reason}")]
    MalformedPacket {
        /// The protocol (`RTP`, `RTCP`, `SRTP`, ...).
        protocol: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The C library behind a codec (libopus, bcg729) reported a failure
    /// that none of the other variants describes.
    #[error("{codec}: {reason}")]
    Codec {
        /// SDP name of the codec.
        codec: &'static str,
        /// What the library reported.
        reason: &'static str,
    },
    /// A session description could not be parsed.
    #[error(transparent)]
    Sdp(#[from] crate::sdp::SdpError),
    /// SDP offer/answer (RFC 3264) failed: no common codec, an answer that
    /// does not match the offer, SRTP required but not offered, ...
    #[error(transparent)]
    OfferAnswer(#[from] crate::sdp::OfferAnswerError),
    /// Video RTP packetization or depacketization failed.
    #[error(transparent)]
    Video(#[from] crate::video::VideoError),
    /// ICE, STUN or TURN failed: a bad candidate or credentials, a TURN
    /// server that refused us, no selected pair.
    #[error(transparent)]
    Ice(#[from] crate::ice::IceError),
    /// A setting is out of range.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// Which setting and why.
        reason: &'static str,
    },
    /// A WAV file is not one this crate reads (RIFF/WAVE, 16-bit PCM, one
    /// or two channels), or its header is malformed.
    #[error("WAV: {reason}")]
    Wav {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Reading or writing a file or stream failed (WAV files, call
    /// recordings, the audio debug capture directory).
    #[error("I/O error ({kind:?}): {message}")]
    Io {
        /// The kind of the underlying [`std::io::Error`].
        kind: std::io::ErrorKind,
        /// Its message.
        message: String,
    },
    /// The conference [`Mixer`](crate::audio::Mixer) already has its
    /// maximum number of legs.
    #[error("the mixer already has its maximum of {max} legs")]
    MixerFull {
        /// The maximum number of legs.
        max: usize,
    },
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}
