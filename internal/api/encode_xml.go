package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// XML responses are derived from the JSON encoding, so both views always
// agree. The mapping (docs/decisions.md leaves the details to this file):
//
//   - the document is <{Operation}Response> holding the JSON body's members;
//   - an object member becomes an element named after its key;
//   - an array member becomes one element per item, each named after the
//     array's key (so "tasks":[a,b] is <tasks>a</tasks><tasks>b</tasks>,
//     and an empty array leaves no element);
//   - items without a key of their own (a top-level array, as
//     DescribeKubernetesVersionMetadata answers, or an array inside an
//     array) are <item> elements;
//   - null is an empty element; strings, numbers and booleans are text;
//   - a key that is not a valid XML name (map keys are free-form) has each
//     invalid character replaced by '_', and '_' prepended when it does not
//     start with a letter or '_'.

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// jsonToXML writes the XML form of the JSON document js under root.
func jsonToXML(out *bytes.Buffer, root string, js []byte) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("xml from json: %w", err)
	}
	b := append(out.AvailableBuffer(), xmlHeader...)
	b = appendOpen(b, root)
	switch tok {
	case json.Delim('{'):
		b, err = xmlMembers(dec, b)
	case json.Delim('['):
		b, err = xmlItems(dec, b, "item")
	default:
		b = appendScalar(b, tok)
	}
	if err != nil {
		return fmt.Errorf("xml from json: %w", err)
	}
	b = appendClose(b, root)
	out.Write(b)
	return nil
}

var errBadJSON = errors.New("unexpected token")

// xmlValue renders the value that starts with tok as element(s) name.
func xmlValue(dec *json.Decoder, b []byte, name string, tok json.Token) ([]byte, error) {
	var err error
	switch tok {
	case json.Delim('{'):
		b = appendOpen(b, name)
		if b, err = xmlMembers(dec, b); err != nil {
			return b, err
		}
		return appendClose(b, name), nil
	case json.Delim('['):
		return xmlItems(dec, b, name)
	case json.Delim('}'), json.Delim(']'):
		return b, errBadJSON
	}
	b = appendOpen(b, name)
	b = appendScalar(b, tok)
	return appendClose(b, name), nil
}

// xmlMembers renders an object's members up to its closing brace.
func xmlMembers(dec *json.Decoder, b []byte) ([]byte, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return b, err
		}
		if tok == json.Delim('}') {
			return b, nil
		}
		key, ok := tok.(string)
		if !ok {
			return b, errBadJSON
		}
		val, err := dec.Token()
		if err != nil {
			return b, err
		}
		if b, err = xmlValue(dec, b, xmlName(key), val); err != nil {
			return b, err
		}
	}
}

// xmlItems renders an array's items as repeated elements name, up to its
// closing bracket.
func xmlItems(dec *json.Decoder, b []byte, name string) ([]byte, error) {
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return b, io.ErrUnexpectedEOF
		}
		if err != nil {
			return b, err
		}
		switch tok {
		case json.Delim(']'):
			return b, nil
		case json.Delim('['):
			b = appendOpen(b, name)
			if b, err = xmlItems(dec, b, "item"); err != nil {
				return b, err
			}
			b = appendClose(b, name)
			continue
		}
		if b, err = xmlValue(dec, b, name, tok); err != nil {
			return b, err
		}
	}
}

func appendOpen(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func appendClose(b []byte, name string) []byte {
	b = append(b, '<', '/')
	b = append(b, name...)
	return append(b, '>')
}

// appendXMLElement appends <name>text</name>; name must be a valid XML name.
func appendXMLElement(b []byte, name, text string) []byte {
	b = appendOpen(b, name)
	b = appendXMLText(b, text)
	return appendClose(b, name)
}

func appendScalar(b []byte, tok json.Token) []byte {
	switch v := tok.(type) {
	case string:
		return appendXMLText(b, v)
	case json.Number:
		return append(b, v...)
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	}
	return b // null: an empty element
}

// appendXMLText appends s as character data: markup characters escaped, \r
// kept from being normalised away, and characters XML cannot carry
// (invalid UTF-8, most control characters) replaced by U+FFFD.
func appendXMLText(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '\r':
			b = append(b, "&#xD;"...)
		case (r == utf8.RuneError && size == 1) || !isXMLChar(r):
			b = append(b, "\uFFFD"...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// isXMLChar reports whether r is a Char of the XML 1.0 grammar.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// xmlName turns a JSON key into a valid XML element name (see the mapping
// above); valid names, which every wire struct key is, come back unchanged.
func xmlName(key string) string {
	valid := key != ""
	for i, r := range key {
		if !isNameRune(r, i == 0) {
			valid = false
			break
		}
	}
	if valid {
		return key
	}
	out := make([]rune, 0, len(key)+1)
	for i, r := range key {
		if i == 0 && !isNameRune(r, true) {
			out = append(out, '_')
			if !isNameRune(r, false) {
				continue
			}
		}
		if !isNameRune(r, false) {
			r = '_'
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return "_"
	}
	return string(out)
}

// isNameRune reports whether r may appear in an XML name (first: as its
// first character). Colons are excluded: they would declare a namespace.
func isNameRune(r rune, first bool) bool {
	if r == '_' || unicode.IsLetter(r) {
		return true
	}
	if first {
		return false
	}
	return r == '-' || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}
