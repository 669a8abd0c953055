// Command tiny stands in for dr-syncer in the release test: it builds in seconds, and it links the
// net package, which makes a binary dynamic unless it is built with CGO_ENABLED=0.
package main

import (
	"fmt"
	"net"
)

func main() { fmt.Println(net.JoinHostPort("localhost", "8080")) }
