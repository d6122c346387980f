package live

import "testing"

func TestSlowClientIsDroppedNotWaitedFor(t *testing.T) {
	h := New(2)
	fast, slow := h.Subscribe(), h.Subscribe()
	for i := 0; i < 3; i++ {
		h.Broadcast(Message{Event: "lines", Data: []byte{byte('0' + i)}})
		<-fast.C() // fast keeps up
	}
	if h.Dropped() != 1 || h.Clients() != 1 {
		t.Fatalf("dropped %d, clients %d; want 1 and 1", h.Dropped(), h.Clients())
	}
	n := 0
	for range slow.C() { // drains its buffer, then sees the close
		n++
	}
	if n != 2 {
		t.Errorf("slow client got %d buffered messages, want 2", n)
	}
	h.Unsubscribe(fast)
	h.Unsubscribe(fast)
	if _, ok := <-fast.C(); ok {
		t.Error("unsubscribed client's channel still open")
	}
}
