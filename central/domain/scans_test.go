package domain

import (
	"errors"
	"testing"
)

func TestDecideScanAction(t *testing.T) {
	wo := func(st OrderStatus) WorkOrder {
		return WorkOrder{ID: "WO-1", OrderNumber: "PO-1", LineID: "L1", Status: st}
	}
	for _, c := range []struct {
		w     OrderStatus
		order OrderStatus
		want  ScanAction
		got   ScanAction
		err   error
	}{
		{StatusReleased, StatusReleased, "", ScanStart, nil},
		{StatusInProgress, StatusInProgress, "", ScanPause, nil},
		{StatusPaused, StatusInProgress, "", ScanResume, nil},
		{StatusReleased, StatusReleased, ScanStart, ScanStart, nil},
		{StatusPaused, StatusInProgress, ScanStart, ScanResume, nil},
		{StatusInProgress, StatusInProgress, ScanStart, "", ErrConflict},
		{StatusInProgress, StatusInProgress, ScanPause, ScanPause, nil},
		{StatusPaused, StatusInProgress, ScanPause, "", ErrConflict},
		{StatusPaused, StatusInProgress, ScanResume, ScanResume, nil},
		{StatusReleased, StatusReleased, ScanResume, "", ErrConflict},
		{StatusInProgress, StatusInProgress, ScanComplete, ScanComplete, nil},
		{StatusPaused, StatusInProgress, ScanComplete, ScanComplete, nil},
		{StatusReleased, StatusReleased, ScanComplete, "", ErrConflict},
		{StatusReleased, StatusReleased, "lot", "", ErrInvalid},
		{StatusScheduled, StatusScheduled, ScanStart, "", ErrConflict},
		{StatusCompleted, StatusInProgress, ScanStart, "", ErrConflict},
	} {
		got, err := DecideScanAction("L1", wo(c.w), c.order, c.want)
		if got != c.got || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Errorf("%s (order %s) asked %q: %q, %v; want %q, %v", c.w, c.order, c.want, got, err, c.got, c.err)
		}
	}
	if _, err := DecideScanAction("L2", wo(StatusReleased), StatusReleased, ScanStart); !errors.Is(err, ErrConflict) {
		t.Errorf("another line's work order: %v", err)
	}
}
