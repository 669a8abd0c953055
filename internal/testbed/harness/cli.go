package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/dr-syncer/dr-syncer/internal/cli"
)

// CLIResult is what one in-process dr-syncer command printed and how it ended.
type CLIResult struct {
	Stdout, Stderr string
	// Code is the exit status the binary would end with: 0, an *cli.ExitError's code, else 1.
	Code int
	// Err is what the command returned (nil on success).
	Err error
}

// All is everything the command printed or returned, for "never shows X" checks.
func (r CLIResult) All() string {
	s := r.Stdout + r.Stderr
	if r.Err != nil {
		s += r.Err.Error()
	}
	return s
}

func (r CLIResult) String() string {
	return fmt.Sprintf("exit %d, err %v\n--- stdout\n%s--- stderr\n%s", r.Code, r.Err, r.Stdout, r.Stderr)
}

// RunCLI runs a dr-syncer command line in-process, as the binary's main does, until it ends or
// ctx is done.
func RunCLI(ctx context.Context, args ...string) CLIResult {
	var stdout, stderr bytes.Buffer
	root := cli.NewRootCommand()
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(ctx)
	r := CLIResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
	var exit *cli.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.Code = exit.Code
	default:
		r.Code = 1
	}
	return r
}
