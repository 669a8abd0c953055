package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// writeVerbs are the client methods that change a cluster.
var writeVerbs = map[string]bool{"Create": true, "Apply": true, "Patch": true, "Update": true, "Delete": true, "DeleteCollection": true, "ApplyStatus": true, "UpdateStatus": true}

// gateExempt are the files allowed to call a write verb outside the gate, and why. None of them
// writes a synced object: they write dr-syncer's own API objects in the controller's cluster,
// or run the demo and the test bed.
var gateExempt = map[string]string{
	"internal/engine/gate.go":                            "the gate itself",
	"internal/controller/namespacemapping/reconciler.go": "status of NamespaceMappings",
	"internal/controller/namespacemapping/finalizer.go":  "finalizer of NamespaceMappings",
	"internal/controller/remotecluster/remotecluster.go": "status of RemoteClusters",
	"internal/controller/parkingrule/reconciler.go":      "status of ParkingRules",
	"internal/ops/mappings.go":                           "spec.paused and status.lastDrill of NamespaceMappings",
	"internal/ops/trigger.go":                            "sync-now annotation of NamespaceMappings",
}

// TestOnlyTheGateWrites: no code outside the gate calls a write verb (Create, Apply, Patch,
// Update, Delete, ...) on a cluster client, so no caller can bypass identity, ownership, the
// live fence or the delete guard. The demo and the test bed (which set up clusters) are exempt.
func TestOnlyTheGateWrites(t *testing.T) {
	root := filepath.Join("..", "..")
	var bad []string
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "internal/demo" || rel == "internal/testbed" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if _, ok := gateExempt[rel]; ok {
			return nil
		}
		calls, err := writeCalls(path)
		for _, c := range calls {
			bad = append(bad, rel+": "+c)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("writes outside the gate (internal/engine/gate.go):\n%s", strings.Join(bad, "\n"))
	}
	// The check must be able to fail: it finds the gate's own writes.
	if calls, err := writeCalls("gate.go"); err != nil || len(calls) < 5 {
		t.Fatalf("the scan finds %d write calls in gate.go (%v); it is broken", len(calls), err)
	}
}

// writeCalls lists the calls of a write verb (with a context and more arguments) in one Go file.
func writeCalls(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !writeVerbs[sel.Sel.Name] || len(call.Args) < 2 {
			return true
		}
		// Any first argument: a write with context.Background() or a context named otherwise
		// must not slip past.
		out = append(out, sel.Sel.Name)
		return true
	})
	return out, nil
}
