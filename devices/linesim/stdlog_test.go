package linesim

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// gopcua's server prints "doing objects." and the like through the standard
// log package when the simulator starts its OPC UA server. Routed, it is a
// DEBUG line of component gopcua: absent at the default INFO level.
func TestGopcuaNoiseStaysOutOfTheLog(t *testing.T) {
	t.Cleanup(func() { log.SetOutput(os.Stderr); log.SetFlags(log.LstdFlags) })
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf lockedBuffer
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
		RouteStdlog(logger)
		s, err := New(Config{Seed: 1, Speed: 1, HTTP: "127.0.0.1:0", OPCUA: OPCUAConfig{Host: "127.0.0.1", Port: 0},
			Lines: []LineConfig{{ID: "L1", IdealCycle: time.Second, CounterBits: 16}}}, logger)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		_ = s.Stop(context.Background())
		out := buf.String()
		switch level {
		case slog.LevelInfo:
			if strings.Contains(out, "doing objects") || strings.Contains(out, "New Node Set") {
				t.Errorf("gopcua's noise reached the INFO log:\n%s", out)
			}
		case slog.LevelDebug:
			if !strings.Contains(out, `level=DEBUG msg="doing objects." component=gopcua`) {
				t.Errorf("at DEBUG, gopcua's lines should be there, tagged component=gopcua:\n%s", out)
			}
		}
	}
}
