package domain

import (
	"testing"
	"time"
)

func TestExpectedByNow(t *testing.T) {
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		cycle time.Duration
		qty   int64
		now   time.Time
		want  int64
	}{
		{"before start", time.Second, 100, start.Add(-time.Minute), 0},
		{"at start", time.Second, 100, start, 0},
		{"midway", time.Second, 100, start.Add(42500 * time.Millisecond), 42},
		{"capped at quantity", time.Second, 100, start.Add(time.Hour), 100},
		{"fractional cycle", 1200 * time.Millisecond, 800, start.Add(12 * time.Second), 10},
		{"no cycle time", 0, 100, start.Add(time.Hour), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpectedByNow(start, tt.cycle, tt.qty, tt.now); got != tt.want {
				t.Errorf("ExpectedByNow = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAttainment(t *testing.T) {
	if a := Attainment(5, 0); a != nil {
		t.Errorf("Attainment(5, 0) = %v, want nil", *a)
	}
	if a := Attainment(45, 60); a == nil || *a != 75 {
		t.Errorf("Attainment(45, 60) = %v, want 75", a)
	}
}
