// Package live fans messages out to connected browsers (server-sent events).
//
// Broadcast must never block the caller (ingest, the ticker): each client has
// a bounded buffer, and a client whose buffer is full is dropped — its
// channel closed — and counted; the browser's EventSource reconnects and gets
// a fresh snapshot. The hub holds no knowledge of what the messages mean.
package live

import (
	"sync"
	"sync/atomic"
)

// Message is one server-sent event.
type Message struct {
	Event string // SSE event name
	Data  []byte // one line of JSON
}

// Client is one subscriber. Receive from C until it is closed.
type Client struct {
	ch chan Message
}

// C delivers messages; it is closed when the client is dropped or unsubscribed.
func (c *Client) C() <-chan Message { return c.ch }

// Hub is a set of clients. The zero value is not usable; call New.
type Hub struct {
	buffer  int
	mu      sync.Mutex
	clients map[*Client]struct{}
	dropped atomic.Int64
}

// New returns a hub giving each client a buffer of size messages.
func New(size int) *Hub {
	if size < 1 {
		size = 1
	}
	return &Hub{buffer: size, clients: map[*Client]struct{}{}}
}

// Subscribe adds a client.
func (h *Hub) Subscribe() *Client {
	c := &Client{ch: make(chan Message, h.buffer)}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	return c
}

// Unsubscribe removes a client and closes its channel; safe to call twice.
func (h *Hub) Unsubscribe(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.ch)
	}
}

// Broadcast offers m to every client without waiting; clients that cannot
// take it are dropped.
func (h *Hub) Broadcast(m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.ch <- m:
		default:
			delete(h.clients, c)
			close(c.ch)
			h.dropped.Add(1)
		}
	}
}

// Clients is the number of connected clients.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Dropped is how many clients were dropped for being too slow.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }
