package synthetic

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"gopkg.in/yaml.v3"
)

func TestGeneratesAtRate(t *testing.T) {
	d, err := New("synth", Config{Rate: 2000, Tick: time.Millisecond, Bits: 16, Start: 65530,
		Signals: []Signal{{Name: "a"}, {Name: "b"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []devices.Reading
	if err := d.Start(context.Background(), func(r devices.Reading) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// 2 baselines + ~1000 increments; generous bounds for a loaded CI box.
	if len(got) < 300 || len(got) > 1100 {
		t.Fatalf("%d readings in 0.5s at 2000/s", len(got))
	}
	last := map[string]uint64{}
	var prev time.Time
	for i, r := range got {
		v := r.Value.(uint64)
		if i >= 2 && v != (last[r.Signal]+1)&0xffff {
			t.Fatalf("reading %d of %s: %d after %d", i, r.Signal, v, last[r.Signal])
		}
		if r.Quality != devices.Good || r.SourceTime.Before(prev) {
			t.Fatalf("reading %d: %+v", i, r)
		}
		last[r.Signal], prev = v, r.SourceTime
	}
	if last["a"] > 1000 {
		t.Fatalf("16-bit counter did not wrap: %d", last["a"])
	}
}

func TestValidate(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("name: s\ndriver: synthetic\nrate: -1\nbits: 12\ntick: 1h\nsignals: [{name: a}, {name: a}]\n"), &n); err != nil {
		t.Fatal(err)
	}
	_, err := DecodeConfig(n.Content[0])
	for _, want := range []string{"rate", "bits", "tick", "duplicate"} {
		if err == nil || !contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
