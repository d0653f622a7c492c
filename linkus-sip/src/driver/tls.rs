//! TLS for SIP (rustls, ring provider): server certificates are verified
//! against the system's roots or a CA you give, and the server name is
//! checked; turning verification off is possible only through
//! [`TlsConfig::dangerous`].

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector, client::TlsStream};

use crate::error::{Error, TlsError};

/// TLS settings of an endpoint: how servers are verified, and optionally
/// the certificate it presents when it accepts TLS connections itself.
#[derive(Clone)]
pub struct TlsConfig {
    client: Arc<ClientConfig>,
    server: Option<Arc<ServerConfig>>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("server", &self.server.is_some())
            .finish()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn client_config(roots: RootCertStore) -> Result<ClientConfig, Error> {
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::Tls(TlsError::BadCertificate))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl TlsConfig {
    /// Verify servers against the operating system's trusted roots.
    pub fn with_native_roots() -> Result<TlsConfig, Error> {
        let mut roots = RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        Ok(TlsConfig {
            client: Arc::new(client_config(roots)?),
            server: None,
        })
    }

    /// Verify servers against the CA certificates in `pem` (a private PBX's CA).
    pub fn with_ca_pem(pem: &[u8]) -> Result<TlsConfig, Error> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|_| Error::Tls(TlsError::BadCertificate))?;
            roots
                .add(cert)
                .map_err(|_| Error::Tls(TlsError::BadCertificate))?;
        }
        if roots.is_empty() {
            return Err(Error::Tls(TlsError::BadCertificate));
        }
        Ok(TlsConfig {
            client: Arc::new(client_config(roots)?),
            server: None,
        })
    }

    /// Switches that make TLS insecure, kept apart so they are never used by accident.
    pub fn dangerous() -> DangerousTls {
        DangerousTls(())
    }

    /// Also accept TLS connections, presenting `cert_chain_pem` and `key_pem`.
    pub fn with_server_identity(
        mut self,
        cert_chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<TlsConfig, Error> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_chain_pem)
            .collect::<Result<_, _>>()
            .map_err(|_| Error::Tls(TlsError::BadCertificate))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|_| Error::Tls(TlsError::BadCertificate))?;
        let server = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|_| Error::Tls(TlsError::BadCertificate))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|_| Error::Tls(TlsError::BadCertificate))?;
        self.server = Some(Arc::new(server));
        Ok(self)
    }

    pub(crate) async fn connect(
        &self,
        name: &str,
        stream: TcpStream,
    ) -> Result<TlsStream<TcpStream>, Error> {
        let name = ServerName::try_from(name.to_owned())
            .map_err(|_| Error::Tls(TlsError::InvalidServerName))?;
        TlsConnector::from(self.client.clone())
            .connect(name, stream)
            .await
            .map_err(|e| Error::Tls(TlsError::Handshake(e.kind())))
    }

    pub(crate) fn acceptor(&self) -> Option<TlsAcceptor> {
        self.server.clone().map(TlsAcceptor::from)
    }
}

/// Insecure TLS settings ([`TlsConfig::dangerous`]).
#[derive(Debug)]
pub struct DangerousTls(());

impl DangerousTls {
    /// Accept any server certificate for any name. Only for lab setups.
    pub fn no_server_verification(self) -> Result<TlsConfig, Error> {
        let provider = provider();
        let client = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|_| Error::Tls(TlsError::BadCertificate))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
            .with_no_client_auth();
        Ok(TlsConfig {
            client: Arc::new(client),
            server: None,
        })
    }
}

#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
