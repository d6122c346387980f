package linesim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"
)

// The line's scanner and QC station: the model records what they read and
// measure (in simulated time, deterministic for the seed); runLine hands
// new records to the scanner's TCP clients and to MQTT. A slow or absent
// consumer never holds production up: TCP clients that do not keep up are
// dropped, and MQTT messages wait in a bounded queue.

// scanHub is one line's scanner in "TCP server" mode: every client that is
// connected when a code is read gets it as a CRLF-terminated line. Like a
// real scanner it keeps nothing for clients that connect later.
type scanHub struct {
	ln net.Listener

	mu      sync.Mutex
	clients map[net.Conn]bool
}

func startScanHub(addr string) (*scanHub, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h := &scanHub{ln: ln, clients: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.clients[c] = true
			h.mu.Unlock()
			// Read (and discard) until the client goes, so it is forgotten.
			go func() {
				buf := make([]byte, 256)
				for {
					if _, err := c.Read(buf); err != nil {
						h.drop(c)
						return
					}
				}
			}()
		}
	}()
	return h, nil
}

func (h *scanHub) drop(c net.Conn) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	_ = c.Close()
}

// send writes code to every client, giving each 500ms.
func (h *scanHub) send(code string) {
	h.mu.Lock()
	cs := make([]net.Conn, 0, len(h.clients))
	for c := range h.clients {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	for _, c := range cs {
		_ = c.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := c.Write([]byte(code + "\r\n")); err != nil {
			h.drop(c)
		}
	}
}

// connected is how many clients are connected (tests wait for theirs).
func (h *scanHub) connected() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

func (h *scanHub) close() {
	_ = h.ln.Close()
	h.mu.Lock()
	cs := h.clients
	h.clients = map[net.Conn]bool{}
	h.mu.Unlock()
	for c := range cs {
		_ = c.Close()
	}
}

// qcPayload is the JSON a QC station publishes, as devices/qc reads it
// (which rejects unknown keys).
type qcPayload struct {
	Unit           string  `json:"unit"`
	Lot            string  `json:"lot"`
	Characteristic string  `json:"characteristic"`
	Value          float64 `json:"value"`
	Lower          float64 `json:"lower"`
	Upper          float64 `json:"upper"`
	Pass           bool    `json:"pass"`
	TS             string  `json:"ts"`
}

// dispatch hands the scans and QC results recorded since the last call to
// the scanner's clients and to MQTT. Only runLine calls it.
func (s *Sim) dispatch(l *line) {
	l.mu.Lock()
	scans := l.m.events.scansAfter(l.scanSeen)
	qcs := l.m.events.qcAfter(l.qcSeen)
	l.mu.Unlock()
	if len(scans) == 0 && len(qcs) == 0 {
		return
	}
	base := l.id
	if p := s.cfg.MQTT.Prefix; p != "" {
		base = p + "/" + l.id
	}
	for _, sc := range scans {
		l.scanSeen = sc.Seq
		if l.scanner != nil {
			l.scanner.send(sc.Code)
		}
		if s.pub != nil && s.cfg.Lines[l.idx].Scanner.MQTT {
			s.pub.event(base+"/scan", sc.Code)
		}
	}
	for _, r := range qcs {
		l.qcSeen = r.Seq
		if s.pub == nil {
			continue
		}
		b, _ := json.Marshal(qcPayload{Unit: r.Unit, Lot: r.Lot, Characteristic: r.Characteristic,
			Value: r.Value, Lower: r.Lower, Upper: r.Upper, Pass: r.Pass,
			TS: s.realAt(r.At).UTC().Format(time.RFC3339Nano)})
		s.pub.event(base+"/qc", string(b))
	}
}

// Scans returns the codes line id's scanner read (the last 5,000 to
// 10,000 of them), oldest first, with real times.
func (s *Sim) Scans(id string) ([]Scan, error) {
	l, ok := s.byID[id]
	if !ok {
		return nil, fmt.Errorf("line %q: %w", id, ErrUnknownLine)
	}
	now := s.simNow()
	l.mu.Lock()
	l.m.advance(now)
	out := l.m.events.scansAfter(0)
	l.mu.Unlock()
	for i := range out {
		out[i].Time = s.realAt(out[i].At)
	}
	return out, nil
}

// QCResults returns line id's QC measurements (the last 5,000 to 10,000),
// oldest first, with real times.
func (s *Sim) QCResults(id string) ([]QCResult, error) {
	l, ok := s.byID[id]
	if !ok {
		return nil, fmt.Errorf("line %q: %w", id, ErrUnknownLine)
	}
	now := s.simNow()
	l.mu.Lock()
	l.m.advance(now)
	out := l.m.events.qcAfter(0)
	l.mu.Unlock()
	for i := range out {
		out[i].Time = s.realAt(out[i].At)
	}
	return out, nil
}

// Changeover ends line id's current work order now: the part in progress
// is abandoned and the line goes to setup (when it runs) for the
// configured setup time, then starts the next order.
func (s *Sim) Changeover(id string) (LineTruth, error) {
	return s.control(id, func(m *model, now time.Duration) { m.forceChangeover(now) })
}

// ScannerAddr is the host:port line id's scanner serves codes on (after
// Start), "" if it has none.
func (s *Sim) ScannerAddr(id string) string {
	l, ok := s.byID[id]
	if !ok || l.scanner == nil {
		return ""
	}
	return l.scanner.ln.Addr().String()
}

// ScannerClients is how many TCP clients line id's scanner has.
func (s *Sim) ScannerClients(id string) int {
	l, ok := s.byID[id]
	if !ok || l.scanner == nil {
		return 0
	}
	return l.scanner.connected()
}

// startScanners opens the TCP scanners of the lines that have one.
func (s *Sim) startScanners() error {
	for _, l := range s.lines {
		a := s.cfg.Lines[l.idx].Scanner.Address
		if a == "" {
			continue
		}
		h, err := startScanHub(a)
		if err != nil {
			return fmt.Errorf("linesim line %s scanner %s: %w", l.id, a, err)
		}
		l.scanner = h
	}
	return nil
}

func (s *Sim) closeScanners() {
	for _, l := range s.lines {
		if l.scanner != nil {
			l.scanner.close()
		}
	}
}

// eventQueue is how many scan and QC messages wait for the MQTT broker;
// beyond it new ones are dropped and counted (the truth keeps them).
const eventQueue = 4096

type mqttMsg struct{ topic, payload string }

// event queues a non-retained QoS 1 message; it never blocks.
func (p *publisher) event(topic, payload string) {
	select {
	case p.events <- mqttMsg{topic, payload}:
	default:
		p.mu.Lock()
		p.dropped++
		n := p.dropped
		p.mu.Unlock()
		p.s.log.Warn("mqtt event queue full; message dropped", "topic", topic, "dropped", n)
	}
}

// runEvents publishes queued scan and QC messages in order, waiting for
// the broker while it is away.
func (p *publisher) runEvents(ctx context.Context) {
	for {
		var m mqttMsg
		select {
		case <-ctx.Done():
			return
		case m = <-p.events:
		}
		for {
			if p.client.IsConnectionOpen() {
				tok := p.client.Publish(m.topic, 1, false, m.payload)
				if tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
					break
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}
