// Command k8s-validate checks rendered Kubernetes manifests (helm template output) offline: every
// YAML document must decode strictly into a registered Kubernetes API type, so an unknown or
// misspelt field, a wrong type or an unknown kind fails. Usage: helm template … | k8s-validate
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

func main() {
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	valid, failed := 0, 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "k8s-validate: reading input: %v\n", err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		_, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "INVALID %v\n", err)
			continue
		}
		valid++
		fmt.Printf("ok %s %s\n", gvk.GroupVersion(), gvk.Kind)
	}
	fmt.Printf("%d valid, %d invalid\n", valid, failed)
	if failed > 0 || valid == 0 {
		os.Exit(1)
	}
}

// stripComments drops comment-only lines, so a document holding only `# Source:` lines counts as empty.
func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
