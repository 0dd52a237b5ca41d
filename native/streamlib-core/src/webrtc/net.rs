//! Where a WebRTC session's UDP socket lives: the address its host candidate names and the port range
//! (a firewall opens a range, so sessions take ports from it rather than anywhere).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

use super::OfferError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The address sessions bind and announce; unspecified (0.0.0.0) picks the interface of the default route.
    pub ip: IpAddr,
    /// Inclusive UDP port range; None takes any free port.
    pub ports: Option<(u16, u16)>,
}

impl Default for Network {
    fn default() -> Network {
        Network { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), ports: None }
    }
}

impl Network {
    /// Parses a `FIRST-LAST` port range as given on a command line.
    pub fn parse_ports(text: &str) -> Result<(u16, u16), String> {
        let bad = || format!("'{text}' is not a UDP port range FIRST-LAST (e.g. 50000-50100)");
        let (first, last) = text.split_once('-').ok_or_else(bad)?;
        let (first, last): (u16, u16) =
            (first.trim().parse().map_err(|_| bad())?, last.trim().parse().map_err(|_| bad())?);
        if first == 0 || first > last {
            return Err(bad());
        }
        Ok((first, last))
    }
}

impl Network {
    /// The address this machine reaches `url`'s host from (loopback for a loopback host), any port.
    pub fn toward(url: &str) -> Network {
        let authority = url.split("://").nth(1).unwrap_or(url).split(['/', '?']).next().unwrap_or("");
        let with_port = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let ip = std::net::ToSocketAddrs::to_socket_addrs(&with_port)
            .ok()
            .and_then(|mut addresses| addresses.next())
            .and_then(|remote| {
                let probe = UdpSocket::bind(SocketAddr::new(unspecified_like(remote.ip()), 0)).ok()?;
                probe.connect(remote).ok()?;
                probe.local_addr().ok().map(|a| a.ip())
            });
        Network { ip: ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), ports: None }
    }
}

fn unspecified_like(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    }
}

/// A UDP socket on `network`'s address, on the first free port of its range, with a receive buffer large
/// enough for ~1 s of 1080p video: a session thread the scheduler holds off for a moment loses nothing (a lost
/// packet costs a keyframe round trip, a freeze of a few hundred ms).
pub fn bind_udp(network: &Network) -> Result<UdpSocket, OfferError> {
    let socket = bind_in_range(network)?;
    enlarge_receive_buffer(&socket);
    Ok(socket)
}

const RECEIVE_BUFFER: usize = 4 << 20;

#[cfg(unix)]
fn enlarge_receive_buffer(socket: &UdpSocket) {
    use std::os::fd::AsRawFd;
    let size = RECEIVE_BUFFER as libc::c_int;
    // Capped by net.core.rmem_max; what the kernel grants is enough either way.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(unix))]
fn enlarge_receive_buffer(_: &UdpSocket) {}

fn bind_in_range(network: &Network) -> Result<UdpSocket, OfferError> {
    let ip = if network.ip.is_unspecified() { default_route_ip().unwrap_or(network.ip) } else { network.ip };
    let Some((first, last)) = network.ports else {
        return UdpSocket::bind(SocketAddr::new(ip, 0))
            .map_err(|e| OfferError::Network(format!("cannot open a UDP socket on {ip}: {e}")));
    };
    (first..=last).find_map(|port| UdpSocket::bind(SocketAddr::new(ip, port)).ok()).ok_or_else(|| {
        OfferError::Network(format!(
            "every UDP port of {first}-{last} on {ip} is taken; end a session or widen the range"
        ))
    })
}

/// The address this machine would send from to the outside: connecting a UDP socket sends nothing.
fn default_route_ip() -> Option<IpAddr> {
    let probe = UdpSocket::bind("0.0.0.0:0").ok()?;
    probe.connect("192.0.2.1:9").ok()?;
    probe.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_parse_or_say_why_not() {
        assert_eq!(Network::parse_ports("50000-50010"), Ok((50000, 50010)));
        for bad in ["50000", "10-5", "0-10", "a-b", "1-70000"] {
            assert!(Network::parse_ports(bad).unwrap_err().contains("FIRST-LAST"), "{bad}");
        }
    }

    #[test]
    fn a_player_binds_where_its_sender_is_reached_from() {
        assert_eq!(Network::toward("http://127.0.0.1:8080/v1/whep/fx").ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(Network::toward("http://localhost/v1/whep/fx").ip.is_loopback());
    }

    #[test]
    fn sockets_come_from_the_range_until_it_is_full() {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let network = Network { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), ports: Some((port, port)) };
        let held = bind_udp(&network).unwrap();
        assert_eq!(held.local_addr().unwrap().port(), port);
        let full = bind_udp(&network).unwrap_err();
        assert!(matches!(full, OfferError::Network(ref m) if m.contains("taken")), "{full:?}");
    }
}
