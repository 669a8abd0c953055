// Command dr-syncer is the dr-syncer controller and its command-line interface.
package main

import (
	"os"

	// Root certificates for when the system has none, as in the release image (scratch): a
	// kubeconfig whose server has a publicly trusted certificate and no certificate-authority-data
	// must still verify. Where the system has roots, they are used instead.
	_ "golang.org/x/crypto/x509roots/fallback"

	"github.com/dr-syncer/dr-syncer/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
