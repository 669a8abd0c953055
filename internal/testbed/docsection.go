package testbed

import (
	"fmt"
	"os"
	"strings"
)

// DocSection checks that the generated section name of the markdown file at path holds content:
// the text between the line "<!-- BEGIN name ... -->" and "<!-- END name -->". With update it
// rewrites the section instead. The error says how to regenerate it.
func DocSection(path, name, content string, update bool, regenerate string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin := "<!-- BEGIN " + name
	before, rest, ok := strings.Cut(string(doc), begin)
	if !ok {
		return fmt.Errorf("%s has no line %q", path, begin+" -->")
	}
	head, rest, ok := strings.Cut(rest, "-->\n")
	if !ok {
		return fmt.Errorf("%s: unterminated %q", path, begin)
	}
	end := "<!-- END " + name + " -->"
	old, after, ok := strings.Cut(rest, end)
	if !ok {
		return fmt.Errorf("%s has no line %q", path, end)
	}
	if old == content {
		return nil
	}
	if !update {
		return fmt.Errorf("the section %q of %s is stale: run %s", name, path, regenerate)
	}
	return os.WriteFile(path, []byte(before+begin+head+"-->\n"+content+end+after), 0o644)
}
