package domain

import (
	"net/url"
	"slices"
	"time"
)

// SavedView is a list's filters a user saved under a name, to open the
// list that way again (the order desk's "views"). Views are per user and
// per page; nobody else sees them.
type SavedView struct {
	Page string `json:"page"`
	Name string `json:"name"`
	// Query is the page's filters as a URL query string without the '?'
	// ("status=draft,under_review&customer=ACME").
	Query     string    `json:"query"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SavedViewPages lists the pages that keep views.
func SavedViewPages() []string { return []string{"orders"} }

// Limits of a saved view.
const (
	MaxSavedViewName  = 60
	MaxSavedViewQuery = 2000
	MaxSavedViews     = 50 // per user and page
)

// CheckSavedView names every rule v breaks.
func CheckSavedView(v SavedView) []*FieldError {
	var errs []*FieldError
	if !slices.Contains(SavedViewPages(), v.Page) {
		errs = append(errs, &FieldError{Field: "page", Rule: "must be one of orders"})
	}
	if e := CheckText("name", v.Name, MaxSavedViewName); e != nil {
		errs = append(errs, e)
	} else if v.Name == "" {
		errs = append(errs, &FieldError{Field: "name", Rule: "is required"})
	}
	if e := CheckText("query", v.Query, MaxSavedViewQuery); e != nil {
		errs = append(errs, e)
	} else if _, err := url.ParseQuery(v.Query); err != nil {
		errs = append(errs, &FieldError{Field: "query", Rule: "must be a URL query string (status=draft&customer=ACME)"})
	}
	return errs
}
