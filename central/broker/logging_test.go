package broker

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A client that connects and goes away made mochi-mqtt log WARN msg="" per
// disconnect. It is a DEBUG line now, and no WARN reaches the log.
func TestClientDisconnectIsNotAWarning(t *testing.T) {
	var buf logBuffer
	b, err := Start("127.0.0.1:0", slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for range 3 {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(buf.String(), `msg="mqtt connection ended"`) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the broker did not log the three ended connections at DEBUG:\n%s", buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := buf.String()
	if strings.Contains(out, "level=WARN") || strings.Contains(out, `msg=""`) {
		t.Errorf("a client disconnect reached the log as a warning or an empty message:\n%s", out)
	}
	if !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "error=") {
		t.Errorf("the DEBUG line lost the error attribute:\n%s", out)
	}
}
