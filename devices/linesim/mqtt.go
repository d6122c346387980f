package linesim

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// publisher mirrors line values to MQTT as retained QoS 1 messages:
//
//	<prefix>/<line>/state   {"state":1,"fault":0,"ts":"<RFC3339Nano>"}
//	<prefix>/<line>/good    decimal raw counter
//	<prefix>/<line>/reject  decimal raw counter
//
// It runs in its own goroutine and only publishes while connected, so a
// broker that is down never blocks production; after a (re)connect it
// republishes every topic.
type publisher struct {
	s      *Sim
	client paho.Client
	wake   chan struct{}

	mu   sync.Mutex
	sent map[string]string // topic → last payload the broker acknowledged
	sp   *spPublisher      // nil unless mqtt.sparkplug is on

	events  chan mqttMsg // scans and QC results, see stations.go
	dropped uint64       // events dropped on a full queue; guarded by mu
}

func newPublisher(s *Sim) *publisher {
	p := &publisher{s: s, wake: make(chan struct{}, 1), sent: map[string]string{}, events: make(chan mqttMsg, eventQueue)}
	if s.cfg.MQTT.Sparkplug {
		p.sp = newSPPublisher(p)
	}
	o := paho.NewClientOptions().
		AddBroker(s.cfg.MQTT.Broker).
		SetClientID(s.cfg.MQTT.ClientID).
		SetCleanSession(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(5 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetWriteTimeout(5 * time.Second).
		SetOnConnectHandler(func(paho.Client) {
			s.log.Info("mqtt connected", "broker", s.cfg.MQTT.Broker)
			p.mu.Lock()
			p.sent = map[string]string{}
			p.mu.Unlock()
			if p.sp != nil {
				p.sp.connected()
			}
			p.poke()
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			s.log.Warn("mqtt connection lost", "broker", s.cfg.MQTT.Broker, "err", err)
		})
	p.client = paho.NewClient(o)
	return p
}

func (p *publisher) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *publisher) start(ctx context.Context, wg *sync.WaitGroup) {
	p.client.Connect() // retries in the background; never waited on
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.runEvents(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			case <-t.C:
			}
			p.publishAll(ctx)
		}
	}()
}

func (p *publisher) publishAll(ctx context.Context) {
	if !p.client.IsConnectionOpen() {
		return
	}
	if p.sp != nil {
		p.sp.publish(ctx)
	}
	prefix := p.s.cfg.MQTT.Prefix
	for _, l := range p.s.lines {
		sn := p.s.snap(l)
		st, _ := json.Marshal(struct {
			State int32  `json:"state"`
			Fault int32  `json:"fault"`
			TS    string `json:"ts"`
		}{sn.StateCode, sn.Fault, sn.stateAt.UTC().Format(time.RFC3339Nano)})
		base := l.id
		if prefix != "" {
			base = prefix + "/" + l.id
		}
		for _, m := range [...]struct{ topic, payload string }{
			{base + "/state", string(st)},
			{base + "/good", strconv.FormatUint(sn.GoodCounter, 10)},
			{base + "/reject", strconv.FormatUint(sn.RejectCounter, 10)},
		} {
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			same := p.sent[m.topic] == m.payload
			p.mu.Unlock()
			if same {
				continue
			}
			tok := p.client.Publish(m.topic, 1, true, m.payload)
			if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				p.s.log.Warn("mqtt publish failed", "topic", m.topic, "err", tok.Error())
				return
			}
			p.mu.Lock()
			p.sent[m.topic] = m.payload
			p.mu.Unlock()
		}
	}
}

func (p *publisher) close() {
	if p.sp != nil {
		p.sp.death()
	}
	p.client.Disconnect(250)
}
