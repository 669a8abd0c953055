// Command dr-syncer is the dr-syncer controller and its command-line interface.
package main

import (
	"os"

	"github.com/dr-syncer/dr-syncer/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
