package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
)

// printFlags are kubectl's output flags for commands that print tables: -o/--output (table,
// wide, json, yaml, name, jsonpath=..., go-template=..., and the file forms), --no-headers,
// --template and --allow-missing-template-keys.
type printFlags struct {
	format    string
	noHeaders bool
	templates *genericclioptions.KubeTemplatePrintFlags
}

// fixedFormats are the -o values printFlags handles itself; templates are kubectl's.
var fixedFormats = []string{"table", "wide", "json", "yaml", "name"}

func (o *printFlags) register(cmd *cobra.Command) {
	o.templates = genericclioptions.NewKubeTemplatePrintFlags()
	fs := cmd.Flags()
	fs.StringVarP(&o.format, "output", "o", "table", "output format: "+strings.Join(o.formats(), ", "))
	fs.BoolVar(&o.noHeaders, "no-headers", false, "table and wide output: print the rows only, without the header line and the summary")
	o.templates.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return o.formats(), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// formats lists the -o values, template forms as FORMAT=TEMPLATE.
func (o *printFlags) formats() []string {
	out := slices.Clone(fixedFormats)
	for _, f := range o.templates.AllowedFormats() {
		if f == "template" || f == "templatefile" { // kubectl's aliases of go-template and go-template-file
			continue
		}
		out = append(out, f+"=")
	}
	return out
}

// table tells whether the format is table or wide.
func (o *printFlags) table() bool { return o.format == "table" || o.format == "wide" }

func (o *printFlags) wide() bool { return o.format == "wide" }

// check fails on an -o value that names no format, or a template that does not parse.
func (o *printFlags) check() error {
	if slices.Contains(fixedFormats, o.format) {
		return nil
	}
	if _, err := o.templates.ToPrinter(o.format); err != nil {
		if genericclioptions.IsNoCompatiblePrinterError(err) {
			return fmt.Errorf("--output %q: want one of %s", o.format, strings.Join(o.formats(), ", "))
		}
		return fmt.Errorf("--output %q: %w", o.format, err)
	}
	return nil
}

// printData prints v, the document -o json prints, in a structured or template format.
func (o *printFlags) printData(w io.Writer, v any) error {
	switch o.format {
	case "json", "yaml":
		return writeStructured(w, o.format, v)
	}
	p, err := o.templates.ToPrinter(o.format)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	doc := map[string]any{}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	return p.PrintObj(&unstructured.Unstructured{Object: doc}, w)
}

// printNames prints resource/name per object, as kubectl -o name does.
func printNames(w io.Writer, objs []*unstructured.Unstructured) error {
	p := &printers.NamePrinter{}
	for _, u := range objs {
		if err := p.PrintObj(u, w); err != nil {
			return err
		}
	}
	return nil
}

// nameOnly is an object with just apiVersion, kind and name, for printNames.
func nameOnly(apiVersion, kind, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	return u
}
