package dev.safelora.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {

    @TempDir
    Path dir;

    @Test
    void aTreeGoesWithEverythingUnderItButNotWhatALinkPointsAtAndAMissingTreeIsNoError() throws IOException {
        Path outside = Files.writeString(dir.resolve("outside.txt"), "kept");
        Path root = Files.createDirectories(dir.resolve("root/a/b"));
        Files.writeString(root.resolve("f.bin"), "x");
        Files.writeString(dir.resolve("root/g.txt"), "y");
        Files.createSymbolicLink(dir.resolve("root/link"), outside);

        FileTrees.delete(dir.resolve("root"));
        assertThat(dir.resolve("root")).doesNotExist();
        assertThat(outside).hasContent("kept");
        FileTrees.delete(dir.resolve("root"));
        FileTrees.deleteQuietly(dir.resolve("never-there"));
    }

    @Test
    void aTreeThatCannotBeDeletedThrowsStrictlyAndIsLeftQuietly() throws IOException {
        // procfs refuses deletion to every user, root included
        Path undeletable = Path.of("/proc/self/status");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(undeletable), "needs Linux /proc");
        assertThatThrownBy(() -> FileTrees.delete(undeletable)).isInstanceOf(IOException.class);
        FileTrees.deleteQuietly(undeletable);
        assertThat(undeletable).exists();
    }
}
