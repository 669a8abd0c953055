package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/go-openapi/jsonpointer"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// Rule is a ParkingRule as the transforms apply it: fields and annotations set while parked, or
// the objects held back entirely (Stash).
type Rule struct {
	// Name is namespace/name of the ParkingRule, for messages.
	Name        string
	Fields      []RuleField
	Annotations map[string]string
	Stash       bool
}

// RuleField sets Parked at the JSON pointer Path while the object is parked.
type RuleField struct {
	Path   string
	Parked json.RawMessage
}

// RuleFromSpec turns a ParkingRule's spec into a Rule; a path that is no JSON pointer into the
// object's content, or a parked value that is no JSON, is an error.
func RuleFromSpec(name string, spec *drv1.ParkingRuleSpec) (*Rule, error) {
	r := &Rule{Name: name, Annotations: spec.Annotations, Stash: spec.Stash}
	for _, f := range spec.Fields {
		if _, err := pointerFields(f.Path); err != nil {
			return nil, fmt.Errorf("ParkingRule %s: %w", name, err)
		}
		if f.Path == "/metadata" || strings.HasPrefix(f.Path, "/metadata/") {
			return nil, fmt.Errorf("ParkingRule %s: path %q points into metadata: set annotations with spec.annotations", name, f.Path)
		}
		if !json.Valid(f.ParkedValue.Raw) || bytes.Equal(bytes.TrimSpace(f.ParkedValue.Raw), []byte("null")) {
			return nil, fmt.Errorf("ParkingRule %s: parkedValue of %s must be a JSON value other than null", name, f.Path)
		}
		r.Fields = append(r.Fields, RuleField{Path: f.Path, Parked: f.ParkedValue.Raw})
	}
	return r, nil
}

// fieldRecord is one entry of the annotation dr-syncer.io/original-fields: a field a rule (or
// parkNetworking) changed, the value it has while parked (none: removed while parked), and the
// value it had before, or Absent when it was not set.
type fieldRecord struct {
	Path     string          `json:"path"`
	Parked   json.RawMessage `json:"parked,omitempty"`
	Original json.RawMessage `json:"original,omitempty"`
	Absent   bool            `json:"absent,omitempty"`
	// Created is the outermost object that parking created to hold an absent field (such as
	// /spec/a for /spec/a/b when the object had no /spec/a): activation removes it again.
	Created string `json:"created,omitempty"`
}

// fieldSpec is what a record needs to park: where, and to what (nil: removed).
type fieldSpec struct {
	path   string
	fields []string
	parked json.RawMessage
}

// pointerFields decodes a JSON pointer (RFC 6901) into the field names it walks through.
func pointerFields(path string) ([]string, error) {
	p, err := jsonpointer.New(path)
	if err != nil || path == "" {
		return nil, fmt.Errorf("path %q: want a JSON pointer such as /spec/paused", path)
	}
	fields := p.DecodedTokens()
	for _, f := range fields {
		if f == "" {
			return nil, fmt.Errorf("path %q: empty field name", path)
		}
	}
	return fields, nil
}

// annotationPointer is the JSON pointer of one annotation.
func annotationPointer(key string) string { return "/metadata/annotations/" + jsonpointer.Escape(key) }

// specsOfRule lists what a rule sets, annotations as pointers into metadata.annotations, sorted
// by path so that equal rules record equally.
func specsOfRule(r *Rule) ([]fieldSpec, error) {
	var out []fieldSpec
	for _, f := range r.Fields {
		out = append(out, fieldSpec{path: f.Path, parked: f.Parked})
	}
	for k, v := range r.Annotations {
		b, _ := json.Marshal(v)
		out = append(out, fieldSpec{path: annotationPointer(k), parked: b})
	}
	return completeSpecs(out)
}

// completeSpecs decodes the paths and sorts the specs; two specs of one path are an error.
func completeSpecs(specs []fieldSpec) ([]fieldSpec, error) {
	for i := range specs {
		fields, err := pointerFields(specs[i].path)
		if err != nil {
			return nil, err
		}
		specs[i].fields = fields
	}
	slices.SortFunc(specs, func(a, b fieldSpec) int { return strings.Compare(a.path, b.path) })
	for i := 1; i < len(specs); i++ {
		if specs[i].path == specs[i-1].path {
			return nil, fmt.Errorf("path %s is set twice", specs[i].path)
		}
	}
	return specs, nil
}

// recordedSpecs reads the specs back from an original-fields annotation.
func recordedSpecs(value string) ([]fieldSpec, error) {
	records, err := decodeRecords(value)
	if err != nil {
		return nil, err
	}
	specs := make([]fieldSpec, len(records))
	for i, r := range records {
		specs[i] = fieldSpec{path: r.Path, parked: r.Parked}
	}
	return completeSpecs(specs)
}

func decodeRecords(value string) ([]fieldRecord, error) {
	var records []fieldRecord
	if err := json.Unmarshal([]byte(value), &records); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", drv1.AnnotationOriginalFields, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("annotation %s: no fields", drv1.AnnotationOriginalFields)
	}
	return records, nil
}

// fieldsParking parks the fields of specs; its canonical value is the JSON list of records with
// each field's current value as original, so that parked, live and recorded states compare as
// strings like every other parking.
func fieldsParking(specs []fieldSpec) *parking {
	parked := make([]fieldRecord, len(specs))
	for i, s := range specs {
		parked[i] = fieldRecord{Path: s.path, Parked: s.parked, Original: s.parked, Absent: s.parked == nil}
	}
	parkedValue, _ := encodeRecords(parked)
	return &parking{
		annotation: drv1.AnnotationOriginalFields,
		parked:     parkedValue,
		read: func(obj *unstructured.Unstructured) (string, error) {
			records := make([]fieldRecord, len(specs))
			for i, s := range specs {
				records[i] = fieldRecord{Path: s.path, Parked: s.parked}
				v, found, err := unstructured.NestedFieldNoCopy(obj.Object, s.fields...)
				if err != nil {
					return "", fmt.Errorf("%s: %w", s.path, err)
				}
				if !found || v == nil {
					records[i].Absent = true
					if s.parked != nil {
						records[i].Created = missingAncestor(obj.Object, s.fields)
					}
					continue
				}
				if records[i].Original, err = json.Marshal(v); err != nil {
					return "", fmt.Errorf("%s: %w", s.path, err)
				}
			}
			return encodeRecords(records)
		},
		write: func(obj *unstructured.Unstructured, value string) error {
			records, err := decodeRecords(value)
			if err != nil {
				return err
			}
			for _, r := range records {
				fields, err := pointerFields(r.Path)
				if err != nil {
					return fmt.Errorf("annotation %s: %w", drv1.AnnotationOriginalFields, err)
				}
				if r.Absent || r.Original == nil {
					if r.Created != "" {
						created, err := pointerFields(r.Created)
						if err != nil || len(created) >= len(fields) || !slices.Equal(created, fields[:len(created)]) {
							return fmt.Errorf("annotation %s: created %q is not an object around %s", drv1.AnnotationOriginalFields, r.Created, r.Path)
						}
						fields = created
					}
					unstructured.RemoveNestedField(obj.Object, fields...)
					continue
				}
				var v any
				if err := utiljson.Unmarshal(r.Original, &v); err != nil {
					return fmt.Errorf("annotation %s: original of %s: %w", drv1.AnnotationOriginalFields, r.Path, err)
				}
				if err := setField(obj.Object, v, fields); err != nil {
					return fmt.Errorf("%s: %w", r.Path, err)
				}
			}
			return nil
		},
	}
}

// missingAncestor is the pointer of the outermost object on the way to fields that obj lacks,
// or "" when only the field itself is missing.
func missingAncestor(obj map[string]any, fields []string) string {
	m := obj
	for i, f := range fields[:len(fields)-1] {
		child, ok := m[f].(map[string]any)
		if !ok {
			if m[f] != nil {
				return "" // not an object: setting the field fails, nothing is created
			}
			var b strings.Builder
			for _, g := range fields[:i+1] {
				b.WriteString("/" + jsonpointer.Escape(g))
			}
			return b.String()
		}
		m = child
	}
	return ""
}

// setField sets v at fields, creating missing objects on the way; a value on the way that is
// not an object is an error (the rule does not fit this object).
func setField(obj map[string]any, v any, fields []string) error {
	m := obj
	for i, f := range fields[:len(fields)-1] {
		next, found := m[f]
		if !found || next == nil {
			child := map[string]any{}
			m[f] = child
			m = child
			continue
		}
		child, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("/%s is %T, not an object", strings.Join(fields[:i+1], "/"), next)
		}
		m = child
	}
	m[fields[len(fields)-1]] = v
	return nil
}

// encodeRecords renders records compactly; values are compacted so that equal JSON with other
// spacing compares equal.
func encodeRecords(records []fieldRecord) (string, error) {
	for i := range records {
		for _, raw := range []*json.RawMessage{&records[i].Parked, &records[i].Original} {
			if *raw == nil {
				continue
			}
			var v any
			if err := utiljson.Unmarshal(*raw, &v); err != nil {
				return "", err
			}
			b, err := json.Marshal(v) // sorted keys
			if err != nil {
				return "", err
			}
			*raw = b
		}
	}
	b, err := json.Marshal(records)
	return string(b), err
}

// ruleParking returns how a rule parks obj, or an error when the rule does not fit it.
func ruleParking(r *Rule) (*parking, error) {
	specs, err := specsOfRule(r)
	if err != nil {
		return nil, fmt.Errorf("ParkingRule %s: %w", r.Name, err)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("ParkingRule %s sets no field and no annotation", r.Name)
	}
	return fieldsParking(specs), nil
}

// recordedParking is the parking an object's original-fields annotation describes, or nil.
func recordedParking(obj *unstructured.Unstructured) (*parking, error) {
	annotations, err := stringMap(obj, "metadata", "annotations")
	if err != nil {
		return nil, err
	}
	value, ok := annotations[drv1.AnnotationOriginalFields]
	if !ok {
		return nil, nil
	}
	specs, err := recordedSpecs(value)
	if err != nil {
		return nil, objectError(obj, err)
	}
	return fieldsParking(specs), nil
}

// RecordedFields describes the fields an original-fields annotation records, for messages:
// "/spec/paused=true, /metadata/annotations/x=unset". ok is false without the annotation.
func RecordedFields(obj *unstructured.Unstructured) (desc string, ok bool) {
	p, err := recordedParking(obj)
	if err != nil || p == nil {
		return "", false
	}
	value, err := p.read(obj)
	if err != nil {
		return "", false
	}
	records, _ := decodeRecords(value)
	parts := make([]string, len(records))
	for i, r := range records {
		v := "unset"
		if !r.Absent {
			v = string(r.Original)
		}
		parts[i] = r.Path + "=" + v
	}
	return strings.Join(parts, ", "), true
}
