package outbox

import (
	"context"
	"testing"
	"time"
)

func TestAgesMarks(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var a ages
	a.wrote(1, t0)
	a.wrote(5, t0.Add(500*time.Millisecond)) // same second: no new mark
	a.wrote(9, t0.Add(2*time.Second))
	a.wrote(20, t0.Add(5*time.Second))
	for _, tt := range []struct {
		seq  uint64
		want time.Time
	}{{1, t0}, {8, t0}, {9, t0.Add(2 * time.Second)}, {19, t0.Add(2 * time.Second)}, {25, t0.Add(5 * time.Second)}} {
		if got, ok := a.since(tt.seq); !ok || !got.Equal(tt.want) {
			t.Errorf("since(%d) = %v %v, want %v", tt.seq, got, ok, tt.want)
		}
	}
	if len(a.marks) != 1 {
		t.Errorf("%d marks kept, want 1 (those before the oldest pending are forgotten)", len(a.marks))
	}
}

// The outbox says how long its oldest unacknowledged event has waited,
// and nothing once central acknowledged everything, also after a restart.
func TestOldestUnacked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, err := Open(dir, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if age, err := o.OldestUnacked(ctx); err != nil || age != 0 {
		t.Fatalf("empty outbox: %v %v", age, err)
	}
	tx := &Tx{}
	tx.Append(countEvent(1))
	tx.Append(countEvent(2))
	if _, err := o.Commit(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if age, err := o.OldestUnacked(ctx); err != nil || age <= 0 {
		t.Fatalf("two pending events: age %v %v, want > 0", age, err)
	}
	o.Close()
	if o, err = Open(dir, "e1"); err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if age, err := o.OldestUnacked(ctx); err != nil || age <= 0 {
		t.Fatalf("after a restart: age %v %v, want > 0", age, err)
	}
	if _, err := o.Ack(ctx, 1, 2); err != nil {
		t.Fatal(err)
	}
	if age, err := o.OldestUnacked(ctx); err != nil || age != 0 {
		t.Fatalf("all acknowledged: age %v %v, want 0", age, err)
	}
}
