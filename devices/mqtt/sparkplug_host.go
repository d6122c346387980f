package mqtt

import (
	"fmt"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/devices/mqtt/sparkplug"
)

// This file is the Sparkplug B host side of the driver (payload: sparkplug):
// it follows each configured edge node's BIRTH / DATA / DEATH sequence,
// resolves metric aliases from the BIRTHs, checks seq (0..255, wrapping) and
// asks for a rebirth (NCMD "Node Control/Rebirth") when it has lost track.
// All of it runs under Driver.mu, from onMessage and onConnect.

const (
	sparkplugPrefix = sparkplug.Namespace + "/"
	// rebirthEvery bounds how often we ask one edge node for a rebirth while
	// it has not answered: a node that ignores us must not be flooded.
	rebirthEvery = 5 * time.Second
)

// spNode is what the host knows of one edge node.
type spNode struct {
	group, edge string
	born        bool   // an NBIRTH was seen since the last reset / NDEATH
	stale       bool   // seq gap or unknown alias: values are Uncertain until the next NBIRTH
	seq         uint64 // last seq seen
	bdSeq       *uint64
	rebirthAt   time.Time                                // last rebirth request, zero after a BIRTH
	aliases     map[string]map[uint64]string             // device ("" = node) → alias → name
	types       map[string]map[string]sparkplug.DataType // device → name → datatype from BIRTH
	last        map[int]any                              // signal index → last good value
	signals     []int                                    // indexes of the signals on this node
}

func (s Signal) validateSparkplug(p string) []error {
	var errs []error
	if s.Topic != "" {
		errs = append(errs, configerr.Field(p+"topic", "does not apply to payload: sparkplug (the topic follows from group, edge_node and device)"))
	}
	if s.Field != "" {
		errs = append(errs, configerr.Field(p+"field", "only applies to payload: json"))
	}
	if err := sparkplug.ValidID(s.Group); err != nil {
		errs = append(errs, configerr.Field(p+"group", "%v", err))
	}
	if err := sparkplug.ValidID(s.EdgeNode); err != nil {
		errs = append(errs, configerr.Field(p+"edge_node", "%v", err))
	}
	if s.Device != "" {
		if err := sparkplug.ValidID(s.Device); err != nil {
			errs = append(errs, configerr.Field(p+"device", "%v", err))
		}
	}
	if s.Metric == "" {
		errs = append(errs, configerr.Field(p+"metric", "required (the metric name in the BIRTH)"))
	}
	return errs
}

// filter is the subscription a signal needs. For Sparkplug it covers the
// node's and all its devices' messages: "#" also matches the parent level.
func (s Signal) filter() string {
	if s.Payload == "sparkplug" {
		return sparkplugPrefix + s.Group + "/+/" + s.EdgeNode + "/#"
	}
	return s.Topic
}

func (d *Driver) spInit() {
	for i, s := range d.cfg.Signals {
		if s.Payload != "sparkplug" {
			continue
		}
		if d.sp == nil {
			d.sp = map[string]*spNode{}
		}
		key := s.Group + "/" + s.EdgeNode
		n := d.sp[key]
		if n == nil {
			n = &spNode{group: s.Group, edge: s.EdgeNode}
			d.sp[key] = n
		}
		n.signals = append(n.signals, i)
	}
	d.spReset()
}

// spReset forgets every node's session: after our own reconnect we may have
// missed a DEATH and BIRTH.
func (d *Driver) spReset() {
	for _, n := range d.sp {
		n.born, n.stale, n.bdSeq, n.rebirthAt = false, false, nil, time.Time{}
		n.aliases = map[string]map[uint64]string{}
		n.types = map[string]map[string]sparkplug.DataType{}
		n.last = map[int]any{}
	}
}

// spRequestRebirth publishes an NCMD Node Control/Rebirth, at most once per
// rebirthEvery while no BIRTH answers it.
func (d *Driver) spRequestRebirth(key, why string) {
	n := d.sp[key]
	if n == nil || d.client == nil || time.Since(n.rebirthAt) < rebirthEvery {
		return
	}
	n.rebirthAt = time.Now()
	topic := sparkplug.Topic{Group: n.group, Type: sparkplug.NCMD, EdgeNode: n.edge}.String()
	d.log.Info("sparkplug rebirth requested", "device", d.name, "edge_node", key, "reason", why)
	tok := d.client.Publish(topic, 0, false, sparkplug.Rebirth(time.Now()))
	go func() { // never wait for a token inside paho's callbacks
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			d.log.Warn("sparkplug rebirth request not sent", "device", d.name, "edge_node", key, "err", tok.Error())
		}
	}()
}

// spMessage handles one message on a Sparkplug topic.
func (d *Driver) spMessage(topic string, payload []byte) {
	t, err := sparkplug.ParseTopic(topic)
	if err != nil {
		return // STATE and other host traffic, or not Sparkplug at all
	}
	key := t.Group + "/" + t.EdgeNode
	n := d.sp[key]
	if n == nil || t.Type == sparkplug.NCMD || t.Type == sparkplug.DCMD {
		return
	}
	now := time.Now()
	p, err := sparkplug.Unmarshal(payload)
	if err != nil {
		d.log.Warn("sparkplug payload does not decode", "device", d.name, "topic", topic, "err", err)
		d.spEach(n, t, func(i int) devices.Reading {
			return d.spBad(i, now, fmt.Errorf("topic %s: payload does not decode: %w", topic, err))
		})
		return
	}

	switch t.Type {
	case sparkplug.NBIRTH:
		n.born, n.stale, n.rebirthAt, n.bdSeq = true, false, time.Time{}, nil
		n.seq = p.Seq
		n.aliases = map[string]map[uint64]string{}
		n.types = map[string]map[string]sparkplug.DataType{}
		for _, m := range p.Metrics {
			if m.Name == "bdSeq" {
				if v, ok := m.Value.(uint64); ok {
					n.bdSeq = &v
				} else if v, ok := m.Value.(int64); ok {
					u := uint64(v)
					n.bdSeq = &u
				}
			}
		}
		d.spBirth(n, "", p)
		d.spValues(n, t, p, now)
		return
	case sparkplug.NDEATH:
		if n.bdSeq != nil {
			for _, m := range p.Metrics {
				if m.Name != "bdSeq" {
					continue
				}
				if v, ok := sparkplug.Retype(m.Value, sparkplug.UInt64).(uint64); ok && v != *n.bdSeq {
					d.log.Debug("sparkplug NDEATH of an older session ignored", "device", d.name, "edge_node", key)
					return
				}
			}
		}
		n.born, n.stale = false, false
		d.log.Warn("sparkplug edge node died", "device", d.name, "edge_node", key)
		for _, i := range n.signals {
			d.sink(d.spBad(i, now, fmt.Errorf("edge node %s is offline (NDEATH)", key)))
		}
		return
	}

	// Everything else carries the node's seq.
	switch {
	case !n.born:
		d.spStale(n, now, "data before any NBIRTH")
	case !p.HasSeq:
		d.spStale(n, now, fmt.Sprintf("%s without seq", t.Type))
	case p.Seq != sparkplug.NextSeq(n.seq):
		d.spStale(n, now, fmt.Sprintf("seq gap: got %d after %d", p.Seq, n.seq))
	}
	if p.HasSeq {
		n.seq = p.Seq
	}
	switch t.Type {
	case sparkplug.DBIRTH:
		d.spBirth(n, t.Device, p)
		d.spValues(n, t, p, now)
	case sparkplug.DDEATH:
		for _, i := range n.signals {
			if d.cfg.Signals[i].Device == t.Device {
				d.sink(d.spBad(i, now, fmt.Errorf("device %s of edge node %s is offline (DDEATH)", t.Device, key)))
			}
		}
	case sparkplug.NDATA, sparkplug.DDATA:
		d.spValues(n, t, p, now)
	}
}

// spBirth records the aliases and datatypes of a BIRTH.
func (d *Driver) spBirth(n *spNode, device string, p sparkplug.Payload) {
	al, ty := map[uint64]string{}, map[string]sparkplug.DataType{}
	for _, m := range p.Metrics {
		if m.Name == "" {
			continue
		}
		if m.HasAlias {
			al[m.Alias] = m.Name
		}
		ty[m.Name] = m.DataType
	}
	n.aliases[device], n.types[device] = al, ty
}

// spStale marks the node's values Uncertain until its next NBIRTH and asks
// for one. Each signal gets one Uncertain reading (carrying its last value)
// when the node turns stale.
func (d *Driver) spStale(n *spNode, now time.Time, why string) {
	key := n.group + "/" + n.edge
	if !n.stale {
		n.stale = true
		d.log.Warn("sparkplug edge node out of step", "device", d.name, "edge_node", key, "reason", why)
		for _, i := range n.signals {
			s := d.cfg.Signals[i]
			d.sink(devices.Reading{Signal: s.Name, Value: n.last[i], Quality: devices.Uncertain, SourceTime: now,
				Err: fmt.Errorf("device %s signal %s: edge node %s: %s; rebirth requested", d.name, s.Name, key, why)})
		}
	}
	d.spRequestRebirth(key, why)
}

// spValues delivers the payload's metrics that configured signals want.
func (d *Driver) spValues(n *spNode, t sparkplug.Topic, p sparkplug.Payload, now time.Time) {
	key := n.group + "/" + n.edge
	for _, m := range p.Metrics {
		name := m.Name
		if name == "" && m.HasAlias {
			name = n.aliases[t.Device][m.Alias]
		}
		if name == "" {
			if n.born && !n.stale {
				d.spStale(n, now, fmt.Sprintf("unknown alias %d on %s", m.Alias, t))
			}
			continue
		}
		for _, i := range n.signals {
			s := d.cfg.Signals[i]
			if s.Device != t.Device || s.Metric != name {
				continue
			}
			r := devices.Reading{Signal: s.Name, SourceTime: now, Quality: devices.Good}
			// A timestamp beyond 2262 is not a time: the receive time stands.
			if at, ok := sparkplug.TimeOf(m.Timestamp); ok {
				r.SourceTime = at
			} else if at, ok := sparkplug.TimeOf(p.Timestamp); ok {
				r.SourceTime = at
			}
			v := m.Value
			if m.DataType == sparkplug.Unknown {
				v = sparkplug.Retype(v, n.types[t.Device][name])
			}
			switch v.(type) {
			case int64, uint64, float64, bool, string:
			case nil:
				d.sink(d.spBad(i, r.SourceTime, fmt.Errorf("metric %s on %s is null", name, t)))
				continue
			default:
				d.sink(d.spBad(i, r.SourceTime, fmt.Errorf("metric %s on %s: unsupported value type %T", name, t, v)))
				continue
			}
			r.Value = v
			n.last[i] = v
			if n.stale || !n.born {
				r.Quality = devices.Uncertain
				r.Err = fmt.Errorf("device %s signal %s: edge node %s is out of step; waiting for its rebirth", d.name, s.Name, key)
			}
			d.sink(r)
		}
	}
}

// spEach delivers f(i) for every signal the topic's scope covers: all the
// node's signals for an N message, the device's for a D message.
func (d *Driver) spEach(n *spNode, t sparkplug.Topic, f func(int) devices.Reading) {
	for _, i := range n.signals {
		if t.Device == "" || d.cfg.Signals[i].Device == t.Device {
			d.sink(f(i))
		}
	}
}

func (d *Driver) spBad(i int, at time.Time, err error) devices.Reading {
	s := d.cfg.Signals[i]
	return devices.Reading{Signal: s.Name, Quality: devices.Bad, SourceTime: at,
		Err: fmt.Errorf("device %s signal %s: %w", d.name, s.Name, err)}
}
