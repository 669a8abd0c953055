package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// outputFlag is -o/--output.
type outputFlag struct{ format string }

func (o *outputFlag) register(fs *pflag.FlagSet, formats ...string) {
	fs.StringVarP(&o.format, "output", "o", formats[0], "output format: "+strings.Join(formats, ", "))
}

func (o *outputFlag) check(formats ...string) error {
	if !slices.Contains(formats, o.format) {
		return fmt.Errorf("--output %q: want one of %s", o.format, strings.Join(formats, ", "))
	}
	return nil
}

// writeStructured prints v as indented JSON or as YAML.
func writeStructured(w io.Writer, format string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == "yaml" {
		if data, err = yaml.JSONToYAML(data); err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// syncReport is the machine-readable account of a plan or a sync (-o json|yaml).
type syncReport struct {
	Source       endpoint           `json:"source"`
	Destination  endpoint           `json:"destination"`
	MappingID    string             `json:"mappingID"`
	DryRun       bool               `json:"dryRun"`
	Summary      drv1.SyncStats     `json:"summary"`
	Types        int                `json:"types"`
	Duration     string             `json:"duration"`
	Unresolved   []string           `json:"unresolvedResourceTypes,omitempty"`
	PruneBlocked *engine.PruneBlock `json:"pruneBlocked,omitempty"`
	Actions      []actionReport     `json:"actions"`
}

type endpoint struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
}

type actionReport struct {
	Action     string `json:"action"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name,omitempty"`
	Drift      bool   `json:"drift,omitempty"`
	// Standby is "parked" or "stashed" for an object held back in DR until cutover; Parked says how.
	Standby string `json:"standby,omitempty"`
	Parked  string `json:"parked,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Diff is the unified diff of the object (plan --diff), Secret values masked.
	Diff string `json:"diff,omitempty"`
}

// actionOrder sorts the table: what changes first, unchanged last.
var actionOrder = []engine.ActionType{engine.ActionCreate, engine.ActionUpdate, engine.ActionDelete,
	engine.ActionConflict, engine.ActionFailed, engine.ActionSkip, engine.ActionUnchanged}

func newSyncReport(s *ops.Scope, req engine.Request, res *engine.Result, withDiff bool) (*syncReport, error) {
	r := &syncReport{
		Source:      endpoint{Cluster: s.Source.Name, Namespace: s.SourceNamespace},
		Destination: endpoint{Cluster: s.Dest.Name, Namespace: s.DestNamespace},
		MappingID:   req.Transform.MappingID, DryRun: req.DryRun,
		Summary: res.Stats, Types: res.Types, Duration: res.Duration.Round(1e6).String(),
		Unresolved: res.Unresolved, PruneBlocked: res.PruneBlocked, Actions: []actionReport{},
	}
	for _, a := range res.Actions {
		ar := actionReport{Action: string(a.Type), APIVersion: a.GVK.GroupVersion().String(), Kind: a.GVK.Kind,
			Name: a.Name, Drift: a.Drift, Reason: a.Reason, Message: a.Message, Parked: a.Parked}
		if how, _, ok := strings.Cut(a.Parked, ":"); ok {
			ar.Standby = how
		}
		if withDiff {
			d, err := objectDiff(a)
			if err != nil {
				return nil, fmt.Errorf("diff of %s %s: %w", a.GVK.Kind, a.Name, err)
			}
			ar.Diff = d
		}
		r.Actions = append(r.Actions, ar)
	}
	slices.SortStableFunc(r.Actions, func(a, b actionReport) int {
		if c := slices.Index(actionOrder, engine.ActionType(a.Action)) - slices.Index(actionOrder, engine.ActionType(b.Action)); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return r, nil
}

// printResult prints a plan or a sync: a table (without unchanged rows unless showUnchanged),
// the names of the objects that change (-o name), or the report as data or through a template.
// With --no-headers the table has its rows only; warnings then go to errOut.
func printResult(w, errOut io.Writer, pf *printFlags, s *ops.Scope, req engine.Request, res *engine.Result, withDiff, showUnchanged bool) error {
	rep, err := newSyncReport(s, req, res, withDiff)
	if err != nil {
		return err
	}
	switch {
	case pf.table():
		return rep.writeTable(w, errOut, pf, showUnchanged, res)
	case pf.format == "name":
		var objs []*unstructured.Unstructured
		for _, a := range rep.Actions {
			switch engine.ActionType(a.Action) {
			case engine.ActionCreate, engine.ActionUpdate, engine.ActionDelete:
				if a.Name != "" {
					objs = append(objs, nameOnly(a.APIVersion, a.Kind, a.Name))
				}
			}
		}
		return printNames(w, objs)
	}
	return pf.printData(w, rep)
}

// writeTable prints the actions (without unchanged ones unless showUnchanged), the diffs, the
// warnings and the summary line; wide adds the API version and the reason of each row.
func (r *syncReport) writeTable(w, errOut io.Writer, pf *printFlags, showUnchanged bool, res *engine.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !pf.noHeaders {
		if pf.wide() {
			fmt.Fprintln(tw, "ACTION\tKIND\tNAME\tSTANDBY\tAPIVERSION\tREASON\tDETAILS")
		} else {
			fmt.Fprintln(tw, "ACTION\tKIND\tNAME\tSTANDBY\tDETAILS")
		}
	}
	rows := 0
	for _, a := range r.Actions {
		if a.Action == string(engine.ActionUnchanged) && !showUnchanged {
			continue
		}
		name := a.Name
		if name == "" {
			name = "*"
		}
		if pf.wide() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Action, a.Kind, name, orDash(a.Standby), a.APIVersion, orDash(a.Reason), details(a))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Action, a.Kind, name, orDash(a.Standby), details(a))
		}
		rows++
	}
	if rows > 0 {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, a := range r.Actions {
		if a.Diff != "" {
			fmt.Fprint(w, a.Diff)
		}
	}
	warnings := w
	if pf.noHeaders {
		warnings = errOut
	}
	if len(r.Unresolved) > 0 {
		fmt.Fprintf(warnings, "warning: the source cluster serves no type named %s (--resource-types)\n", strings.Join(r.Unresolved, ", "))
	}
	if pb := r.PruneBlocked; pb != nil {
		fmt.Fprintf(warnings, "warning: nothing was pruned: %d of %d managed objects would be deleted, more than --max-delete-percent allows; raise it if the deletions are intended\n", pb.WouldDelete, pb.Managed)
	}
	if pf.noHeaders {
		return nil
	}
	_, err := fmt.Fprintf(w, "%s: %s → %s\n", ops.SyncSummary(res, r.DryRun), r.Source.Cluster+"/"+r.Source.Namespace, r.Destination.Cluster+"/"+r.Destination.Namespace)
	return err
}

func details(a actionReport) string {
	var parts []string
	if a.Drift {
		parts = append(parts, "reverts a hand edit in DR")
	}
	if a.Reason != "" && a.Reason != "Conflict" {
		parts = append(parts, a.Reason+":")
	}
	if a.Message != "" {
		parts = append(parts, oneLine(a.Message, 1024)) // the last column: no need to cut it short
	}
	if _, how, ok := strings.Cut(a.Parked, ": "); ok {
		parts = append(parts, how)
	}
	return strings.Join(parts, " ")
}

// oneLine flattens s and cuts it at n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}

// hasChanges tells whether a plan would write: creates, updates or deletes.
func hasChanges(s drv1.SyncStats) bool { return s.Created+s.Updated+s.Deleted > 0 }
