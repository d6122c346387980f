// Package configerr is how every linewise program reports a configuration
// problem: a FieldError names the key's path (and, once located, its YAML
// line), and DecodeStrict refuses keys nobody reads. Device drivers, the edge
// agent and central all use it, so it lives apart from each of them and
// imports nothing of linewise. It must never touch the network or the disk.
package configerr

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is a configuration problem at a key path such as
// "signals[2].address", with the YAML line where that key stands (0 if unknown).
// Drivers return these from Validate so the agent can print file:line key.
type FieldError struct {
	Path string
	Line int
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Path, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// Field builds a FieldError without a line; Locate fills the line in later.
func Field(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Prefix puts parent in front of the path of every FieldError inside err.
func Prefix(parent string, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range flatten(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			p := parent
			if fe.Path != "" {
				if strings.HasPrefix(fe.Path, "[") {
					p += fe.Path
				} else {
					p += "." + fe.Path
				}
			}
			out = append(out, &FieldError{Path: p, Line: fe.Line, Msg: fe.Msg})
			continue
		}
		out = append(out, &FieldError{Path: parent, Msg: e.Error()})
	}
	return errors.Join(out...)
}

// Locate fills in the YAML line of every FieldError in err by walking root
// along the error's path, and returns the errors flattened.
func Locate(root *yaml.Node, err error) []error {
	var out []error
	for _, e := range flatten(err) {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Line == 0 {
			out = append(out, &FieldError{Path: fe.Path, Line: lineOf(root, fe.Path), Msg: fe.Msg})
			continue
		}
		out = append(out, e)
	}
	return out
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// lineOf finds the line of the deepest node on path that exists.
func lineOf(n *yaml.Node, path string) int {
	for n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil {
		return 0
	}
	line := n.Line
	for _, part := range splitPath(path) {
		var next *yaml.Node
		if idx, ok := part.(int); ok {
			if n.Kind == yaml.SequenceNode && idx < len(n.Content) {
				next = n.Content[idx]
			}
		} else if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part.(string) {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			return line
		}
		n = next
		if n.Kind != yaml.ScalarNode {
			line = n.Line
		}
	}
	return line
}

func splitPath(p string) []any {
	var out []any
	for _, seg := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			out = append(out, name)
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			var i int
			if _, err := fmt.Sscanf(num, "%d", &i); err == nil {
				out = append(out, i)
			}
			_, rest, _ = strings.Cut(after, "[")
		}
	}
	return out
}

// DecodeStrict decodes a YAML mapping node into the struct v points to and
// reports, with line numbers, every key that no field of v (by yaml tag,
// recursively through structs, slices and maps of structs) accepts: a typo in
// a PLC config must not be silently ignored. Keys listed in ignore are allowed.
func DecodeStrict(n *yaml.Node, v any, ignore ...string) error {
	var errs []error
	unknownKeys(n, reflect.TypeOf(v), "", ignore, &errs)
	if err := n.Decode(v); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var nodeType = reflect.TypeOf(yaml.Node{})

func unknownKeys(n *yaml.Node, t reflect.Type, path string, ignore []string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		return // decoded later by whoever owns that part
	}
	for n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ft, ok := fields[k]
			if !ok {
				if path == "" && contains(ignore, k) {
					continue
				}
				*errs = append(*errs, &FieldError{Path: join(path, k), Line: n.Content[i].Line, Msg: "unknown key (check the spelling)"})
				continue
			}
			unknownKeys(n.Content[i+1], ft, join(path, k), nil, errs)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			unknownKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), nil, errs)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			unknownKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), nil, errs)
		}
	}
}

func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, into)
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		into[name] = f.Type
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
