package org.vnvdimm.qemu.acpi;

import java.util.ArrayList;
import java.util.List;

/** Shell-like splitting of a QEMU command line given as one string. */
public final class QemuArgs {
    private QemuArgs() {
    }

    /**
     * Splits like a POSIX shell without expansions: blanks separate words; '...' is literal; "..." keeps
     * blanks and honours \" \\ \$ \` escapes; a backslash outside quotes escapes the next character and a
     * backslash-newline joins lines.
     */
    public static List<String> split(String commandLine) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int n = commandLine.length();
        for (int i = 0; i < n; i++) {
            char c = commandLine.charAt(i);
            if (c == '\'') {
                int end = commandLine.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new QemuOptionException("<command line>", "", "unterminated ' quote at character " + i);
                }
                word.append(commandLine, i + 1, end);
                inWord = true;
                i = end;
            } else if (c == '"') {
                int j = i + 1;
                while (true) {
                    if (j >= n) {
                        throw new QemuOptionException("<command line>", "", "unterminated \" quote at character " + i);
                    }
                    char d = commandLine.charAt(j);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\' && j + 1 < n && "\"\\$`\n".indexOf(commandLine.charAt(j + 1)) >= 0) {
                        if (commandLine.charAt(j + 1) != '\n') {
                            word.append(commandLine.charAt(j + 1));
                        }
                        j += 2;
                        continue;
                    }
                    word.append(d);
                    j++;
                }
                inWord = true;
                i = j;
            } else if (c == '\\') {
                if (i + 1 < n) {
                    char d = commandLine.charAt(++i);
                    if (d != '\n') {
                        word.append(d);
                        inWord = true;
                    }
                }
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
