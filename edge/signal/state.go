package signal

import "github.com/linewise/linewise/edge/wire"

// StateMap turns a PLC state value (and an optional fault code) into a state.
type StateMap struct {
	Map     map[string]string // raw → state
	Default string            // for unmapped raws; "" → down, reason "unmapped state <raw>"
	Reasons map[string]string // fault code → reason text
}

// Resolve maps a raw state and fault code (either may be "") to a wire.State.
func (m StateMap) Resolve(raw, fault string) wire.State {
	st, ok := m.Map[raw]
	reason := ""
	if !ok {
		st = m.Default
		if st == "" {
			st = wire.StateDown
			reason = "unmapped state " + raw
		}
	}
	if fault != "" && fault != "0" && (st == wire.StateDown || st == wire.StateSetup || st == wire.StatePlannedStop) {
		reason = fault
		if text, ok := m.Reasons[fault]; ok {
			reason = fault + " " + text
		}
	}
	return wire.State{State: st, Reason: reason, Raw: raw}
}
