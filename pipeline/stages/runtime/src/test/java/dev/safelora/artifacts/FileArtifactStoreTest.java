package dev.safelora.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import dev.safelora.files.Digests;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileArtifactStoreTest {

    @TempDir Path tmp;
    private final FileArtifactStore store = new FileArtifactStore();

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void fileRoundTripAndDigest() throws Exception {
        Path src = Files.writeString(tmp.resolve("in.txt"), "hello");
        URI uri = ArtifactUris.child(tmp.resolve("store").toUri(), "reports/req-1/report.json");
        assertThat(store.put(src, uri)).isEqualTo(sha256("hello"));
        assertThat(store.exists(uri)).isTrue();
        assertThat(store.sha256(uri)).isEqualTo(sha256("hello"));
        assertThat(Files.readString(store.open(uri))).isEqualTo("hello");
        assertThat(store.open(uri)).isEqualTo(tmp.resolve("store/reports/req-1/report.json"));
        Path copy = store.get(uri, tmp.resolve("copy/x.json"));
        assertThat(Files.readString(copy)).isEqualTo("hello");
    }

    @Test
    void directoryDigestIsTheManifestHash() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("adapter/sub"));
        Files.writeString(tmp.resolve("adapter/b.txt"), "B");
        Files.writeString(tmp.resolve("adapter/sub/a.txt"), "A");
        URI uri = tmp.resolve("store/adapters/x").toUri();
        String expected = sha256("b.txt\t" + sha256("B") + "\nsub/a.txt\t" + sha256("A") + "\n");
        assertThat(store.put(tmp.resolve("adapter"), uri)).isEqualTo(expected);
        assertThat(store.sha256(uri)).isEqualTo(expected);
        assertThat(Files.readString(tmp.resolve("store/adapters/x/sub/a.txt"))).isEqualTo("A");
        assertThat(dir).exists();
    }

    @Test
    void identicalPutDoesNotRewriteAndDifferentPutReplacesWholly() throws Exception {
        Path v1 = Files.createDirectories(tmp.resolve("v1"));
        Files.writeString(v1.resolve("keep.txt"), "1");
        Files.writeString(v1.resolve("old.txt"), "old");
        URI uri = tmp.resolve("store/a").toUri();
        store.put(v1, uri);
        Path stored = tmp.resolve("store/a/keep.txt");
        FileTime past = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(stored, past);

        store.put(v1, uri);
        assertThat(Files.getLastModifiedTime(stored)).as("identical put is a no-op").isEqualTo(past);

        Path v2 = Files.createDirectories(tmp.resolve("v2"));
        Files.writeString(v2.resolve("keep.txt"), "2");
        store.put(v2, uri);
        assertThat(Files.readString(stored)).isEqualTo("2");
        assertThat(tmp.resolve("store/a/old.txt")).doesNotExist();
        try (var siblings = Files.list(tmp.resolve("store"))) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("a");
        }

        // A file can replace a directory and the other way round.
        store.put(Files.writeString(tmp.resolve("f"), "file"), uri);
        assertThat(Files.readString(tmp.resolve("store/a"))).isEqualTo("file");
        store.put(v2, uri);
        assertThat(Files.readString(stored)).isEqualTo("2");
    }

    @Test
    void listShowsChildrenAndHidesCrashLeftovers() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("store"));
        store.put(Files.writeString(tmp.resolve("f"), "x"), root.resolve("file.json").toUri());
        store.put(Files.createDirectories(tmp.resolve("d")), root.resolve("dir").toUri());
        Files.createDirectories(root.resolve(".safelora-tmp-half-written-123"));
        Files.writeString(root.resolve(".safelora-tmp-file.json-456"), "partial");
        assertThat(store.list(root.toUri())).containsExactly(root.resolve("dir").toUri(), root.resolve("file.json").toUri());
        assertThat(store.list(root.resolve("dir").toUri().resolve("nope"))).isEmpty();
    }

    @Test
    void deleteAndMissingArtifacts() throws Exception {
        URI uri = tmp.resolve("store/gone").toUri();
        assertThat(store.exists(uri)).isFalse();
        assertThatThrownBy(() -> store.open(uri)).isInstanceOf(NoSuchFileException.class).hasMessageContaining("no artifact at " + uri);
        assertThatThrownBy(() -> store.sha256(uri)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.put(tmp.resolve("absent"), uri)).isInstanceOf(NoSuchFileException.class);
        store.put(Files.createDirectories(tmp.resolve("d")), uri);
        assertThat(store.delete(uri)).isTrue();
        assertThat(store.exists(uri)).isFalse();
        assertThat(store.delete(uri)).isFalse();
    }

    @Test
    void refusesRelativeAndRemoteFileUris() {
        assertThatThrownBy(() -> FileArtifactStore.pathOf(URI.create("file:artifacts/x"))).hasMessageContaining("absolute");
        assertThatThrownBy(() -> FileArtifactStore.pathOf(URI.create("file://nas/share/x"))).hasMessageContaining("host");
        assertThatThrownBy(() -> FileArtifactStore.pathOf(URI.create("file:///a/b/../c"))).hasMessageContaining("dot segment");
        assertThatThrownBy(() -> FileArtifactStore.pathOf(URI.create("file:///var/%2e%2e/etc/passwd"))).hasMessageContaining("dot segment");
        assertThat(FileArtifactStore.pathOf(URI.create("file:///a/c"))).isEqualTo(Path.of("/a/c"));
    }

    @Test
    void keysCannotEscapeTheRoot() {
        URI root = URI.create("s3://bkt/artifacts/");
        assertThat(ArtifactUris.child(root, "adapters/req-1")).isEqualTo(URI.create("s3://bkt/artifacts/adapters/req-1"));
        assertThat(ArtifactUris.child(URI.create("file:///x"), "a")).isEqualTo(URI.create("file:///x/a"));
        assertThatThrownBy(() -> ArtifactUris.child(root, "../etc/passwd")).hasMessageContaining("'..'");
        assertThatThrownBy(() -> ArtifactUris.child(root, "a//b")).hasMessageContaining("invalid segment");
        assertThatThrownBy(() -> ArtifactUris.child(root, "a b")).hasMessageContaining("invalid segment 'a b'");
    }

    @Test
    void resolverPicksBySchemeAndNamesUnknownOnes() {
        ArtifactStores stores = ArtifactStores.standard(Map.of(), tmp);
        assertThat(stores.forUri(URI.create("file:///x"))).isInstanceOf(FileArtifactStore.class);
        assertThat(stores.forUri(URI.create("FILE:///x"))).isSameAs(stores.forUri(URI.create("file:///y")));
        assertThatThrownBy(() -> stores.forUri(URI.create("gs://bucket/x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no artifact store for scheme 'gs' in 'gs://bucket/x'; supported: file");
        assertThatThrownBy(() -> stores.forUri(URI.create("relative/path"))).hasMessageContaining("has no scheme");
        // This module's class path has no ArtifactStoreProvider: s3 comes with safelora-artifacts-s3.
        assertThatThrownBy(() -> stores.forUri(URI.create("s3://bucket/k"))).hasMessageContaining("no artifact store for scheme 's3'");
    }

    @Property(tries = 25)
    void anyTreeRoundTripsWithTheSameDigest(@ForAll @Size(min = 1, max = 6) Map<@AlphaChars @StringLength(min = 1, max = 6) String,
            @StringLength(max = 40) String> files) throws Exception {
        Path base = Files.createTempDirectory("prop");
        try {
            Path src = Files.createDirectories(base.resolve("src"));
            Map<String, String> expected = new TreeMap<>();
            int i = 0;
            for (Map.Entry<String, String> e : files.entrySet()) {
                String rel = (i++ % 2 == 0 ? "" : "nested/") + e.getKey();
                Files.createDirectories(src.resolve(rel).getParent());
                Files.writeString(src.resolve(rel), e.getValue());
                expected.put(rel, e.getValue());
            }
            URI uri = base.resolve("store/t").toUri();
            String digest = store.put(src, uri);
            Path back = store.get(uri, base.resolve("back"));
            Map<String, String> actual = new TreeMap<>();
            for (String rel : expected.keySet()) {
                actual.put(rel, Files.readString(back.resolve(rel)));
            }
            assertThat(actual).isEqualTo(expected);
            assertThat(Digests.directorySha256(back)).isEqualTo(digest);
        } finally {
            dev.safelora.files.FileTrees.delete(base);
        }
    }
}
