package dev.safelora.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * sha256 digests of artifacts. A file's digest is the sha256 of its bytes. A directory's digest is the
 * sha256 of its manifest text: one line {@code <relative path>\t<sha256 of the file>\n} per regular file,
 * sorted by relative path ('/' separated, UTF-8), so the same tree has the same digest in every store.
 */
public final class Digests {

    private Digests() {}

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    public static String sha256Hex(byte[] bytes) {
        return hex(sha256().digest(bytes));
    }

    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256Hex(InputStream in) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return hex(md.digest());
    }

    public static String fileSha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256Hex(in);
        }
    }

    /** The sha256 of every regular file under {@code dir}, keyed by '/'-separated relative path, sorted. */
    public static SortedMap<String, String> fileDigests(Path dir) throws IOException {
        SortedMap<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                out.put(relative(dir, p), fileSha256(p));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return out;
    }

    /** The manifest text a directory digest is computed from. */
    public static String manifest(Map<String, String> fileDigests) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(fileDigests).forEach((path, sha) -> sb.append(path).append('\t').append(sha).append('\n'));
        return sb.toString();
    }

    /** Parses {@link #manifest} text back into relative path to sha256. */
    public static SortedMap<String, String> parseManifest(String text) {
        SortedMap<String, String> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int tab = line.lastIndexOf('\t');
            if (tab <= 0 || line.length() - tab - 1 != 64) {
                throw new IllegalArgumentException("malformed artifact manifest line: '" + line + "'");
            }
            out.put(line.substring(0, tab), line.substring(tab + 1));
        }
        return out;
    }

    public static String directorySha256(Path dir) throws IOException {
        return sha256Hex(manifest(fileDigests(dir)));
    }

    /** The digest of a local file or directory, per the rules above. */
    public static String of(Path fileOrDir) throws IOException {
        return Files.isDirectory(fileOrDir) ? directorySha256(fileOrDir) : fileSha256(fileOrDir);
    }

    static String relative(Path dir, Path file) {
        List<String> parts = new java.util.ArrayList<>();
        for (Path part : dir.relativize(file)) {
            parts.add(part.toString());
        }
        return String.join("/", parts);
    }
}
