package domain

import (
	"errors"
	"strings"
	"testing"
)

// wantMatrix is the role matrix written out independently of the table, so
// a change to one without the other fails: "from>to" → roles that may.
var wantMatrix = map[string]string{
	"draft>under_review":     "planner sales admin",
	"under_review>approved":  "supervisor admin",
	"under_review>rejected":  "supervisor quality admin",
	"rejected>draft":         "planner sales admin",
	"approved>scheduled":     "planner admin",
	"scheduled>released":     "planner supervisor admin",
	"released>in_progress":   "operator supervisor admin",
	"in_progress>paused":     "operator supervisor admin",
	"paused>in_progress":     "operator supervisor admin",
	"in_progress>completed":  "operator supervisor admin",
	"paused>completed":       "operator supervisor admin",
	"completed>closed":       "supervisor quality admin",
	"draft>cancelled":        "planner sales supervisor admin",
	"under_review>cancelled": "planner sales supervisor admin",
	"approved>cancelled":     "planner supervisor admin",
	"rejected>cancelled":     "planner sales supervisor admin",
	"scheduled>cancelled":    "planner supervisor admin",
	"released>cancelled":     "supervisor admin",
	"in_progress>cancelled":  "supervisor admin",
	"paused>cancelled":       "supervisor admin",
}

// TestAllowedWalksWholeMatrix checks every role × from × to.
func TestAllowedWalksWholeMatrix(t *testing.T) {
	allowedPairs := 0
	for _, role := range Roles() {
		for _, from := range Statuses() {
			for _, to := range Statuses() {
				roles, inTable := wantMatrix[string(from)+">"+string(to)]
				want := inTable && strings.Contains(" "+roles+" ", " "+string(role)+" ")
				if got := Allowed(role, from, to); got != want {
					t.Errorf("Allowed(%s, %s, %s) = %v, want %v", role, from, to, got, want)
				}
				if want {
					allowedPairs++
				}
			}
		}
	}
	if allowedPairs == 0 {
		t.Fatal("nothing allowed")
	}
	if len(Lifecycle()) != len(wantMatrix) {
		t.Errorf("table has %d transitions, matrix %d", len(Lifecycle()), len(wantMatrix))
	}
}

func TestCancelOnlyBeforeCompletion(t *testing.T) {
	for _, from := range Statuses() {
		_, err := Next(ActionCancel, from)
		terminal := from == StatusCompleted || from == StatusClosed || from == StatusCancelled
		if terminal != (err != nil) {
			t.Errorf("cancel from %s: err %v", from, err)
		}
		if err != nil && !errors.Is(err, ErrConflict) {
			t.Errorf("cancel from %s: %v is not a conflict", from, err)
		}
	}
}

func TestAuthorize(t *testing.T) {
	if _, err := Authorize(RoleOperator, ActionApprove, StatusUnderReview); !errors.Is(err, ErrForbidden) {
		t.Errorf("operator approve: %v", err)
	}
	if _, err := Authorize(RoleSupervisor, ActionApprove, StatusDraft); !errors.Is(err, ErrConflict) {
		t.Errorf("approve a draft: %v", err)
	}
	if _, err := Authorize(RoleAdmin, "fly", StatusDraft); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
	tr, err := Authorize(RolePlanner, ActionSubmit, StatusDraft)
	if err != nil || tr.To != StatusUnderReview {
		t.Errorf("submit: %+v %v", tr, err)
	}
}

func TestApprovalNeedsEverySignoff(t *testing.T) {
	p := DefaultReviewPolicy()
	signed := []Signoff{{Kind: SignoffMaterial, Round: 1}, {Kind: SignoffCapacity, Round: 1}, {Kind: SignoffQuality, Round: 0}}
	err := p.CheckApproval(1, signed)
	var m *MissingSignoffError
	if !errors.As(err, &m) || len(m.Missing) != 1 || m.Missing[0] != SignoffQuality || !errors.Is(err, ErrConflict) {
		t.Fatalf("err %v, want missing quality (the round-0 one does not count)", err)
	}
	if !strings.Contains(err.Error(), "quality") {
		t.Errorf("error %q does not name the sign-off", err)
	}
	if err := p.CheckApproval(1, append(signed, Signoff{Kind: SignoffQuality, Round: 1})); err != nil {
		t.Errorf("all signed: %v", err)
	}
	if err := (ReviewPolicy{Required: []SignoffKind{SignoffQuality}}).CheckApproval(2, []Signoff{{Kind: SignoffQuality, Round: 2}}); err != nil {
		t.Errorf("configured policy: %v", err)
	}
	if err := (ReviewPolicy{Required: []SignoffKind{"colour"}}).Validate(); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestCheckSignoff(t *testing.T) {
	tests := []struct {
		role   Role
		kind   SignoffKind
		status OrderStatus
		want   error
	}{
		{RolePlanner, SignoffMaterial, StatusUnderReview, nil},
		{RoleQuality, SignoffQuality, StatusUnderReview, nil},
		{RolePlanner, SignoffQuality, StatusUnderReview, ErrForbidden},
		{RoleOperator, SignoffMaterial, StatusUnderReview, ErrForbidden},
		{RoleAdmin, SignoffCapacity, StatusDraft, ErrConflict},
		{RoleAdmin, "colour", StatusUnderReview, ErrInvalid},
	}
	for _, tt := range tests {
		err := CheckSignoff(tt.role, tt.kind, tt.status, 1, nil)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("CheckSignoff(%s, %s, %s) = %v, want %v", tt.role, tt.kind, tt.status, err, tt.want)
		}
	}
	if err := CheckSignoff(RolePlanner, SignoffMaterial, StatusUnderReview, 1, []Signoff{{Kind: SignoffMaterial, Round: 1, By: "x"}}); !errors.Is(err, ErrConflict) {
		t.Errorf("double sign-off: %v", err)
	}
}

func TestDecideScan(t *testing.T) {
	wo := func(line string, s OrderStatus) WorkOrder {
		return WorkOrder{ID: "WO-1-10", OrderNumber: "PO-1", LineID: line, Status: s}
	}
	tests := []struct {
		name  string
		w     WorkOrder
		order OrderStatus
		want  ScanAction
		err   string
	}{
		{"start", wo("L1", StatusReleased), StatusReleased, ScanStart, ""},
		{"pause", wo("L1", StatusInProgress), StatusInProgress, ScanPause, ""},
		{"resume", wo("L1", StatusPaused), StatusPaused, ScanResume, ""},
		{"other line", wo("L2", StatusReleased), StatusReleased, "", "runs on line L2"},
		{"not released", wo("L1", StatusScheduled), StatusScheduled, "", "not released"},
		{"closed", wo("L1", StatusClosed), StatusClosed, "", "already closed"},
		{"order cancelled", wo("L1", StatusReleased), StatusCancelled, "", "cancelled"},
	}
	for _, tt := range tests {
		got, err := DecideScan("L1", tt.w, tt.order)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: %q %v, want %q %q", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil || len(tok) < 40 || HashToken(tok) != hash || hash == tok {
		t.Fatalf("token %q hash %q err %v", tok, hash, err)
	}
	h, err := HashPassword("secret-pw", 4)
	if err != nil || !CheckPassword(h, "secret-pw") || CheckPassword(h, "other-pw") {
		t.Fatalf("password: %v", err)
	}
	if err := ValidPassword("short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("short password: %v", err)
	}
}
