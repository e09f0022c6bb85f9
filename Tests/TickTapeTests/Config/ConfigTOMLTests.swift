import Testing

@testable import TickTape

@Suite struct ConfigTOMLTests {
    private func parse(_ text: String) throws(ConfigError) -> TOMLTable {
        try TOMLDocument.parse(text, file: "test.toml").root
    }

    private func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func scalarsParseWithTheirLines() throws {
        let root = try parse(
            """
            # comment
            a = "x" # trailing comment
            b = 'C:\\path'
            c = -1_000
            d = 0x1F
            e = 0o17
            f = 0b101
            g = 3.5e2
            h = true
            i = false
            j = +7
            """)
        #expect(root["a"]?.value.kind == .string("x"))
        #expect(root["a"]?.line == 2)
        #expect(root["b"]?.value.kind == .string("C:\\path"))
        #expect(root["c"]?.value.kind == .integer(-1000))
        #expect(root["d"]?.value.kind == .integer(31))
        #expect(root["e"]?.value.kind == .integer(15))
        #expect(root["f"]?.value.kind == .integer(5))
        #expect(root["g"]?.value.kind == .float(350))
        #expect(root["h"]?.value.kind == .boolean(true))
        #expect(root["i"]?.value.kind == .boolean(false))
        #expect(root["j"]?.value.kind == .integer(7))
        #expect(root["j"]?.value.line == 11)
        #expect(root["j"]?.value.column == 5)
    }

    @Test func basicStringEscapesAreDecoded() throws {
        let root = try parse(#"s = "q\" b\\ n\n t\t u\u00E9 U\U0001F600""#)
        #expect(root["s"]?.value.kind == .string("q\" b\\ n\n t\t u\u{E9} U\u{1F600}"))
    }

    @Test func multilineStringsTrimFirstNewlineAndCountLines() throws {
        let root = try parse(
            "a = \"\"\"\nline1\nline2 \\\n   joined\"\"\"\nb = '''\nraw \\n'''\nc = 1\n")
        #expect(root["a"]?.value.kind == .string("line1\nline2 joined"))
        #expect(root["b"]?.value.kind == .string("raw \\n"))
        #expect(root["c"]?.line == 7)
    }

    @Test func quotedAndDottedKeysBuildTables() throws {
        let root = try parse(
            """
            "quoted key" = 1
            site."google.com" = true
            site.other = 2
            """)
        #expect(root["quoted key"]?.value.kind == .integer(1))
        guard case .table(let site)? = root["site"]?.value.kind else {
            Issue.record("site is not a table")
            return
        }
        #expect(site["google.com"]?.value.kind == .boolean(true))
        #expect(site["other"]?.value.kind == .integer(2))
    }

    @Test func multilineArraysAllowTrailingCommaAndComments() throws {
        let root = try parse(
            """
            a = [
              1, # one
              2,
            ]
            b = []
            """)
        guard case .array(let elements)? = root["a"]?.value.kind else {
            Issue.record("a is not an array")
            return
        }
        #expect(elements.map(\.kind) == [.integer(1), .integer(2)])
        #expect(elements.map(\.line) == [2, 3])
        #expect(root["b"]?.value.kind == .array([]))
    }

    @Test func inlineTablesParse() throws {
        let root = try parse(#"t = { x = 1, y.z = "w" }"#)
        guard case .table(let table)? = root["t"]?.value.kind else {
            Issue.record("t is not a table")
            return
        }
        #expect(table["x"]?.value.kind == .integer(1))
        guard case .table(let y)? = table["y"]?.value.kind else {
            Issue.record("y is not a table")
            return
        }
        #expect(y["z"]?.value.kind == .string("w"))
    }

    @Test func tablesAndArraysOfTablesCollectTheirKeys() throws {
        let root = try parse(
            """
            top = 1
            [engine]
            x = 2
            [[capture]]
            name = "a"
            [[capture]]
            name = "b"
            [capture.sub]
            k = 3
            """)
        guard case .table(let engine)? = root["engine"]?.value.kind else {
            Issue.record("engine is not a table")
            return
        }
        #expect(engine["x"]?.value.kind == .integer(2))
        #expect(engine.line == 2)
        guard case .array(let captures)? = root["capture"]?.value.kind else {
            Issue.record("capture is not an array")
            return
        }
        #expect(captures.count == 2)
        guard case .table(let second) = captures[1].kind else {
            Issue.record("capture[1] is not a table")
            return
        }
        #expect(second.line == 6)
        #expect(second["name"]?.value.kind == .string("b"))
        guard case .table(let sub)? = second["sub"]?.value.kind else {
            Issue.record("capture[1].sub is not a table")
            return
        }
        #expect(sub["k"]?.value.kind == .integer(3))
    }

    @Test func duplicateKeyIsAnErrorNamingBothLines() throws {
        let error = try #require(parseError("a = 1\nb = 2\na = 3\n"))
        #expect(error.line == 3)
        #expect(error.column == 1)
        #expect(error.message.contains("duplicate key a"))
        #expect(error.message.contains("line 1"))
    }

    @Test func duplicateTableIsAnError() throws {
        let error = try #require(parseError("[engine]\nx = 1\n[engine]\n"))
        #expect(error.line == 3)
        #expect(error.message.contains("already defined at line 1"))
    }

    @Test func tableHeaderConflictingWithValueIsAnError() throws {
        let error = try #require(parseError("engine = 1\n[engine]\n"))
        #expect(error.line == 2)
        #expect(error.message.contains("conflicts"))
    }

    @Test func arrayOfTablesCannotExtendStaticArray() throws {
        let error = try #require(parseError("capture = []\n[[capture]]\n"))
        #expect(error.line == 2)
    }

    @Test func inlineTableCannotBeExtended() throws {
        let error = try #require(parseError("t = {a = 1}\n[t.b]\n"))
        #expect(error.line == 2)
        #expect(error.message.contains("inline table"))
    }

    @Test(arguments: [
        ("a = \"unterminated\n", 1, "unterminated string"),
        ("a = 1\nb = \n", 2, "expected a value"),
        ("a = 1\nb 2\n", 2, "expected '='"),
        ("a = 1 2\n", 1, "expected the end of the line"),
        ("[engine\n", 1, "expected ']'"),
        ("[[capture]\n", 1, "expected ']]'"),
        ("x = [1, 2\n\n", 3, "unterminated array"),
        ("x = [1 2]\n", 1, "expected ',' or ']'"),
        ("x = 01\n", 1, "leading zeros"),
        ("x = 1__0\n", 1, "'_'"),
        ("x = 99999999999999999999\n", 1, "out of range"),
        ("x = \"\\q\"\n", 1, "invalid escape"),
        ("x = \"\\uD800\"\n", 1, "not a Unicode scalar"),
        ("x = 1979-05-27\n", 1, "dates and times are not supported"),
        ("x = hello\n", 1, "strings must be quoted"),
        ("x = {a = 1,}\n", 1, "trailing comma"),
        ("x = {a = 1\n}\n", 1, "one line"),
        ("\n\n= 3\n", 3, "expected a key"),
        ("x = \"a\u{7}b\"\n", 1, "control character"),
        ("x = 1\r", 1, "carriage return"),
    ])
    func syntaxErrorsNameLineAndWhatWasExpected(text: String, line: Int, fragment: String) throws {
        let error = try #require(parseError(text))
        #expect(error.line == line, "\(error)")
        #expect(error.column != nil)
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("test.toml:\(line):"))
    }

    @Test func syntaxErrorColumnPointsAtTheProblem() throws {
        let error = try #require(parseError("key = 1\nother = [1, 2 3]\n"))
        #expect(error.line == 2)
        #expect(error.column == 15)
    }

    @Test func deepNestingIsRejectedNotACrash() throws {
        let depth = 100_000
        let cases = [
            "a = " + String(repeating: "[", count: depth),
            "a = " + String(repeating: "{b = ", count: depth),
            "[" + Array(repeating: "a", count: depth).joined(separator: ".") + "]",
            Array(repeating: "a", count: depth).joined(separator: ".") + " = 1",
            String(repeating: "[", count: depth),
        ]
        for text in cases {
            let error = try #require(parseError(text))
            #expect(error.line == 1)
        }
    }

    @Test func crlfLineEndingsAndBOMAreAccepted() throws {
        let root = try parse("\u{FEFF}a = 1\r\nb = 2\r\n")
        #expect(root["b"]?.line == 2)
        #expect(root["b"]?.value.kind == .integer(2))
    }
}
