package linesim

import (
	"context"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/linewise/linewise/devices/mqtt/sparkplug"
)

// SparkplugGroup is the Sparkplug B group id the simulator publishes under;
// each line is an edge node named by its id.
const SparkplugGroup = "linesim"

// spPublisher publishes every line as a Sparkplug B edge node (mqtt.sparkplug):
//
//	spBv1.0/linesim/NBIRTH/<line>  seq 0; bdSeq, GoodCount (alias 1, UInt32),
//	                               RejectCount (alias 2, UInt32), State (alias 3, Int32)
//	spBv1.0/linesim/NDATA/<line>   the metrics that changed, by alias only
//	spBv1.0/linesim/NDEATH/<line>  bdSeq, when the simulator stops
//
// A (re)connect or an NCMD "Node Control/Rebirth" makes the next round
// publish an NBIRTH. All lines share one MQTT connection, and a connection
// has one will, so there is no NDEATH when the simulator crashes: a host
// sees that as silence (and our driver as a lost broker only if it is the
// broker that went away).
type spPublisher struct {
	p *publisher

	mu    sync.Mutex
	bdSeq uint64
	lines map[string]*spLine
}

type spLine struct {
	born bool
	seq  uint64
	last [3]int64 // GoodCount, RejectCount, State as last published
}

var spMetricNames = [3]string{"GoodCount", "RejectCount", "State"}
var spMetricTypes = [3]sparkplug.DataType{sparkplug.UInt32, sparkplug.UInt32, sparkplug.Int32}

func newSPPublisher(p *publisher) *spPublisher {
	sp := &spPublisher{p: p, lines: map[string]*spLine{}}
	for _, l := range p.s.lines {
		sp.lines[l.id] = &spLine{}
	}
	return sp
}

// connected starts a new session: new bdSeq, every line reborn, and a
// subscription to the rebirth commands. Called from paho's on-connect.
func (sp *spPublisher) connected() {
	sp.mu.Lock()
	sp.bdSeq++
	for _, l := range sp.lines {
		l.born = false
	}
	sp.mu.Unlock()
	filter := sparkplug.Namespace + "/" + SparkplugGroup + "/" + sparkplug.NCMD + "/+"
	sp.p.client.Subscribe(filter, 0, func(_ paho.Client, m paho.Message) {
		t, err := sparkplug.ParseTopic(m.Topic())
		if err != nil {
			return
		}
		pl, err := sparkplug.Unmarshal(m.Payload())
		if err != nil {
			sp.p.s.log.Warn("sparkplug NCMD does not decode", "topic", m.Topic(), "err", err)
			return
		}
		for _, mt := range pl.Metrics {
			if mt.Name == sparkplug.RebirthMetric && mt.Value == true {
				sp.mu.Lock()
				if l := sp.lines[t.EdgeNode]; l != nil {
					l.born = false
				}
				sp.mu.Unlock()
				sp.p.s.log.Info("sparkplug rebirth requested", "line", t.EdgeNode)
				sp.p.poke()
			}
		}
	})
}

// publish sends an NBIRTH for every line not yet born and an NDATA for
// every line whose values changed. Only the publisher goroutine calls it.
func (sp *spPublisher) publish(ctx context.Context) {
	for _, l := range sp.p.s.lines {
		if ctx.Err() != nil {
			return
		}
		sn := sp.p.s.snap(l)
		vals := [3]int64{int64(sn.GoodCounter), int64(sn.RejectCounter), int64(sn.StateCode)}
		stamps := [3]time.Time{sn.goodAt, sn.rejectAt, sn.stateAt}
		now := uint64(time.Now().UnixMilli())
		ms := func(t time.Time) uint64 {
			if t.IsZero() {
				return now
			}
			return uint64(t.UnixMilli())
		}

		sp.mu.Lock()
		st := sp.lines[l.id]
		var typ string
		pl := sparkplug.Payload{Timestamp: now, HasSeq: true}
		if !st.born {
			typ = sparkplug.NBIRTH
			pl.Seq = 0
			pl.Metrics = append(pl.Metrics, sparkplug.Metric{Name: "bdSeq", DataType: sparkplug.UInt64, Value: sp.bdSeq, Timestamp: now})
			for i := range vals {
				pl.Metrics = append(pl.Metrics, sparkplug.Metric{Name: spMetricNames[i], Alias: uint64(i + 1), HasAlias: true,
					DataType: spMetricTypes[i], Value: vals[i], Timestamp: ms(stamps[i])})
			}
		} else {
			for i := range vals {
				if vals[i] != st.last[i] {
					pl.Metrics = append(pl.Metrics, sparkplug.Metric{Alias: uint64(i + 1), HasAlias: true,
						DataType: spMetricTypes[i], Value: vals[i], Timestamp: ms(stamps[i])})
				}
			}
			if len(pl.Metrics) == 0 {
				sp.mu.Unlock()
				continue
			}
			typ = sparkplug.NDATA
			pl.Seq = sparkplug.NextSeq(st.seq)
		}
		st.born, st.seq, st.last = true, pl.Seq, vals
		sp.mu.Unlock()

		b, err := sparkplug.Marshal(pl)
		topic := sparkplug.Topic{Group: SparkplugGroup, Type: typ, EdgeNode: l.id}.String()
		if err == nil {
			tok := sp.p.client.Publish(topic, 0, false, b)
			if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				err = tok.Error()
				if err == nil {
					err = context.DeadlineExceeded
				}
			}
		}
		if err != nil {
			sp.p.s.log.Warn("sparkplug publish failed; will rebirth", "topic", topic, "err", err)
			sp.mu.Lock()
			st.born = false
			sp.mu.Unlock()
			return
		}
	}
}

// death publishes an NDEATH for every line that was born, best effort.
func (sp *spPublisher) death() {
	if !sp.p.client.IsConnectionOpen() {
		return
	}
	sp.mu.Lock()
	bd := sp.bdSeq
	var born []string
	for _, l := range sp.p.s.lines {
		if sp.lines[l.id].born {
			born = append(born, l.id)
			sp.lines[l.id].born = false
		}
	}
	sp.mu.Unlock()
	for _, id := range born {
		b, _ := sparkplug.Marshal(sparkplug.Payload{Timestamp: uint64(time.Now().UnixMilli()),
			Metrics: []sparkplug.Metric{{Name: "bdSeq", DataType: sparkplug.UInt64, Value: bd}}})
		tok := sp.p.client.Publish(sparkplug.Topic{Group: SparkplugGroup, Type: sparkplug.NDEATH, EdgeNode: id}.String(), 0, false, b)
		tok.WaitTimeout(time.Second)
	}
}
