package broker

import "testing"

func TestAnonymousTopics(t *testing.T) {
	for _, f := range []string{"#", "+/x", "linewise/#", "linewise", "$SYS/#", "a/+/b", "/#"} {
		if ValidAnonymousTopic(f) == nil {
			t.Errorf("ValidAnonymousTopic(%q) accepted", f)
		}
	}
	allowed := []string{"linesim/#", "plant/clock"}
	for _, tt := range []struct {
		topic string
		ok    bool
	}{
		{"linesim/L1/state", true}, {"linesim/#", true}, {"linesim/+/state", true}, {"linesim", true},
		{"plant/clock", true}, {"plant/clock/x", false}, {"linesimX/a", false}, {"#", false},
		{"linewise/v1/edges/e1/events", false}, {"+/L1/state", false},
	} {
		if got := anonymousAllowed(allowed, tt.topic); got != tt.ok {
			t.Errorf("anonymousAllowed(%q) = %v, want %v", tt.topic, got, tt.ok)
		}
	}
}

func TestEdgePublishesOnlyItsOwnTopics(t *testing.T) {
	h := &authHook{auth: Auth{CentralUsername: "central", AnonymousTopics: []string{"linesim/#"}}}
	for _, tt := range []struct {
		user, topic string
		ok          bool
	}{
		{"e1", "linewise/v1/edges/e1/events", true},
		{"e1", "linewise/v1/edges/e1/status", true},
		{"e1", "linewise/v1/edges/e2/status", false},
		{"e1", "linewise/v1/edges/e1/ack", false},
		{"", "linewise/v1/edges/e1/status", false},
		{"", "linesim/L1/state", true},
	} {
		if got := h.mayPublish([]byte(tt.user), tt.topic); got != tt.ok {
			t.Errorf("mayPublish(%q, %q) = %v, want %v", tt.user, tt.topic, got, tt.ok)
		}
	}
}
