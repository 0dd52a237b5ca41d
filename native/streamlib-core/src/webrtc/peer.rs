//! The I/O str0m leaves to its user, once for senders and players: one UDP socket, the clock, and the
//! poll → transmit → wait → receive cycle.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

use super::net::{bind_udp, Network};
use super::OfferError;

/// Datagrams taken in one `wait`: a 720p keyframe is ~100; more would delay str0m's own timers.
const MAX_BATCH: usize = 512;

pub struct Peer {
    pub rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    buffer: Vec<u8>,
    /// Events of drains between two `drain` calls (each datagram taken is drained at once), in order.
    events: Vec<Event>,
}

/// Deadlines already due that one drain handles at once, at most: str0m may report the same instant again.
const MAX_DUE: usize = 8;

impl Peer {
    /// `rtc` with a host candidate on a socket from `network`.
    pub fn bind(mut rtc: Rtc, network: &Network) -> Result<Peer, OfferError> {
        let socket = bind_udp(network)?;
        let local = socket.local_addr().map_err(|e| OfferError::Network(e.to_string()))?;
        let candidate = Candidate::host(local, "udp").map_err(|e| OfferError::Network(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        Ok(Peer { rtc, socket, local, buffer: vec![0; 2048], events: Vec::new() })
    }

    /// Sends what str0m has to send, handing each event since the last call to `on_event` (an `Err` from it
    /// ends the cycle); returns when str0m next wants to be woken.
    pub fn drain(
        &mut self,
        mut on_event: impl FnMut(&mut Rtc, Event) -> Result<(), String>,
    ) -> Result<Instant, String> {
        let deadline = self.flush()?;
        for event in std::mem::take(&mut self.events) {
            on_event(&mut self.rtc, event)?;
        }
        Ok(deadline)
    }

    /// Polls str0m until it has nothing more before its next deadline: datagrams sent, events kept. str0m
    /// wants every change to it (a datagram, a frame written) drained so before the next, and its pacer
    /// releases a written frame's packets only at a deadline it reports as already due, which is handled
    /// here at once rather than after the session's next wait.
    fn flush(&mut self) -> Result<Instant, String> {
        let mut due = 0;
        loop {
            match self.rtc.poll_output().map_err(|e| format!("WebRTC failed: {e}"))? {
                Output::Timeout(at) => {
                    let now = Instant::now();
                    if at > now || due == MAX_DUE {
                        return Ok(at);
                    }
                    due += 1;
                    self.rtc.handle_input(Input::Timeout(now)).map_err(|e| format!("WebRTC failed: {e}"))?;
                }
                Output::Transmit(t) => {
                    let _ = self.socket.send_to(&t.contents, t.destination);
                }
                Output::Event(event) => self.events.push(event),
            }
        }
    }

    /// Waits for a datagram until `deadline` (or str0m's own, if sooner), at most `longest`, then hands
    /// str0m it and every other one already waiting (or the time, if none came): a session that fell behind
    /// takes its backlog in one go, and the frames it completes are handled together.
    pub fn wait(&mut self, deadline: Instant, longest: Duration) -> Result<(), String> {
        let deadline = self.flush()?.min(deadline);
        let wait = deadline.saturating_duration_since(Instant::now()).clamp(Duration::from_millis(1), longest);
        let _ = self.socket.set_nonblocking(false);
        let _ = self.socket.set_read_timeout(Some(wait));
        self.receive()
    }

    /// Hands str0m the datagrams already waiting (or the time, if none), without waiting for one.
    pub fn take_waiting(&mut self) -> Result<(), String> {
        self.flush()?;
        let _ = self.socket.set_nonblocking(true);
        self.receive()
    }

    fn receive(&mut self) -> Result<(), String> {
        for taken in 0..MAX_BATCH {
            match self.socket.recv_from(&mut self.buffer) {
                Ok((n, source)) => {
                    // A datagram str0m cannot use (a stray or replayed packet) is dropped, not fatal.
                    if let Ok(received) = Receive::new(Protocol::Udp, source, self.local, &self.buffer[..n]) {
                        let _ = self.rtc.handle_input(Input::Receive(Instant::now(), received));
                        self.flush()?;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if taken == 0 {
                        let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                        self.flush()?;
                    }
                    break;
                }
                Err(e) => return Err(format!("the session's socket failed: {e}")),
            }
            if taken == 0 {
                let _ = self.socket.set_nonblocking(true);
            }
        }
        Ok(())
    }
}
