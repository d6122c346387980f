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
