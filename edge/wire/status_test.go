package wire

import "testing"

func TestDecodeStatusBacklog(t *testing.T) {
	s, err := DecodeStatus("e1", []byte(`{"edge_id":"e1","status":"online","outbox_depth":12,"oldest_unacked_s":3.5}`))
	if err != nil || s.OutboxDepth == nil || *s.OutboxDepth != 12 || s.OldestUnackedS == nil || *s.OldestUnackedS != 3.5 {
		t.Fatalf("%+v %v", s, err)
	}
	if s, err := DecodeStatus("e1", []byte(`{"edge_id":"e1","status":"online"}`)); err != nil || s.OutboxDepth != nil || s.OldestUnackedS != nil {
		t.Errorf("without a backlog: %+v %v", s, err)
	}
	for _, bad := range []string{
		`{"edge_id":"e1","status":"online","outbox_depth":-1}`,
		`{"edge_id":"e1","status":"online","oldest_unacked_s":-2}`,
		`{"edge_id":"e1","status":"online","outbox_depth":"x"}`,
	} {
		if _, err := DecodeStatus("e1", []byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
