package org.memlean.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every code block of {@code docs/framework.md} marked {@code <!-- from PATH -->} stands, line for
 * line (indentation aside), in the source file PATH — so the page shows code that compiles, and a
 * change to that code that the page does not follow fails here.
 */
class DocsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern SNIPPET = Pattern.compile("<!-- from (\\S+) -->\\s*\\n```java\\n(.*?)\\n```", Pattern.DOTALL);

    private static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) if (!line.isBlank()) out.add(line.strip());
        return out;
    }

    @Test
    void everyMarkedSnippetStandsInItsSourceFile() throws IOException {
        String page = Files.readString(ROOT.resolve("docs/framework.md"));
        Matcher m = SNIPPET.matcher(page);
        int checked = 0;
        while (m.find()) {
            List<String> snippet = lines(m.group(2));
            List<String> source = lines(Files.readString(ROOT.resolve(m.group(1))));
            assertThat(Collections.indexOfSubList(source, snippet))
                    .as("the snippet from %s (starting '%s') stands there, line for line", m.group(1), snippet.get(0))
                    .isNotNegative();
            checked++;
        }
        assertThat(checked).as("snippets on the page: a block's forward, the MLP, the step, Lion, AdamW, a report")
                .isGreaterThanOrEqualTo(6);
    }
}
