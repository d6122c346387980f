package domain

import "fmt"

// ScanAction is what a scanned work-order barcode does at a station.
type ScanAction string

// Scan actions.
const (
	ScanLogin  ScanAction = "login"
	ScanStart  ScanAction = "start"
	ScanPause  ScanAction = "pause"
	ScanResume ScanAction = "resume"
)

// DecideScan says what scanning work order w at a station on stationLine
// does, given its order's status: start, pause or resume, or an ErrConflict
// explaining why nothing happens.
func DecideScan(stationLine string, w WorkOrder, order OrderStatus) (ScanAction, error) {
	if w.LineID != stationLine {
		return "", fmt.Errorf("work order %s runs on line %s, not on this station's line %s: %w", w.ID, w.LineID, stationLine, ErrConflict)
	}
	switch w.Status {
	case StatusCompleted, StatusClosed, StatusCancelled:
		return "", fmt.Errorf("work order %s is already %s: %w", w.ID, w.Status, ErrConflict)
	}
	switch order {
	case StatusReleased, StatusInProgress, StatusPaused:
	case StatusCompleted, StatusClosed, StatusCancelled:
		return "", fmt.Errorf("work order %s belongs to order %s, which is %s: %w", w.ID, w.OrderNumber, order, ErrConflict)
	default:
		return "", fmt.Errorf("work order %s is not released (order %s is %s): %w", w.ID, w.OrderNumber, order, ErrConflict)
	}
	switch w.Status {
	case StatusInProgress:
		return ScanPause, nil
	case StatusPaused:
		return ScanResume, nil
	default:
		return ScanStart, nil
	}
}
