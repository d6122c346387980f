package store

import (
	"context"
	"slices"

	"github.com/linewise/linewise/central/domain"
)

// ScanCodeHook runs inside a fixed scanner's scan transaction for a code
// that is no badge and no work order (domain.ScanTx.OtherCode): materials
// load a lot there, or register a serial. ok false: not its code.
type ScanCodeHook func(ctx context.Context, q Q, c domain.ScanCode) (rec domain.ScanRecord, ok bool, err error)

// SetScanCodeHook installs (or, with nil, removes) the hook named name.
func (h Handle) SetScanCodeHook(name string, fn ScanCodeHook) {
	hs := h.s.hooks
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.codes == nil {
		hs.codes = map[string]ScanCodeHook{}
	}
	if fn == nil {
		delete(hs.codes, name)
		return
	}
	hs.codes[name] = fn
}

// OtherCode runs the scan code hooks in name order; the first to take the
// code answers.
func (t *scanTx) OtherCode(c domain.ScanCode) (domain.ScanRecord, bool, error) {
	s := t.s
	if s.hooks == nil {
		return domain.ScanRecord{}, false, nil
	}
	s.hooks.mu.RLock()
	names := make([]string, 0, len(s.hooks.codes))
	for n := range s.hooks.codes {
		names = append(names, n)
	}
	slices.Sort(names)
	fns := make([]ScanCodeHook, len(names))
	for i, n := range names {
		fns[i] = s.hooks.codes[n]
	}
	s.hooks.mu.RUnlock()
	for _, fn := range fns {
		rec, ok, err := fn(t.ctx, Q{s: s, q: t.tx}, c)
		if ok || err != nil {
			return rec, ok, err
		}
	}
	return domain.ScanRecord{}, false, nil
}
