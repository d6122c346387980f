package domain

import (
	"slices"
	"strings"
)

// Customer grades: A is the plant's most important customers (a small rush
// order of theirs may go to the rush line), C the least.
const (
	GradeA = "A"
	GradeB = "B"
	GradeC = "C"
)

// Grades lists the customer grades.
func Grades() []string { return []string{GradeA, GradeB, GradeC} }

// Customer is one entry of the customer master: who an order is made for.
type Customer struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Grade string `json:"grade"`
	// Contacts is free text: names, phones, e-mail addresses.
	Contacts string `json:"contacts"`
}

// CheckCustomer lists every rule c breaks.
func CheckCustomer(c Customer) []*FieldError {
	errs := code(nil, "code", c.Code)
	errs = required(errs, "name", c.Name)
	errs = maxLen(errs, "name", c.Name, 100)
	if !slices.Contains(Grades(), c.Grade) {
		errs = append(errs, &FieldError{Field: "grade", Rule: "must be one of " + strings.Join(Grades(), ", ")})
	}
	errs = maxLen(errs, "contacts", c.Contacts, 500)
	return errs
}

// CustomerWriters may create and change customers: the order desk and the
// admin.
func CustomerWriters() []Role { return []Role{RoleSales, RolePlanner, RoleAdmin} }
