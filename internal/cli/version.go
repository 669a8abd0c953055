package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dr-syncer/dr-syncer/internal/version"
)

func newVersionCommand() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the dr-syncer version, commit, build date and Go version",
		Example: `  dr-syncer version
  dr-syncer version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check("text", "json", "yaml"); err != nil {
				return err
			}
			info := version.Get()
			if out.format != "text" {
				return writeStructured(cmd.OutOrStdout(), out.format, info)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "dr-syncer %s\n  commit:     %s\n  built:      %s\n  go:         %s\n  platform:   %s\n",
				info.Version, info.Commit, info.BuildDate, info.GoVersion, info.Platform)
			return err
		},
	}
	out.register(cmd.Flags(), "text", "json", "yaml")
	return cmd
}
