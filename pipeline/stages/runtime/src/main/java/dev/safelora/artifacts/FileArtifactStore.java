package dev.safelora.artifacts;

import dev.safelora.files.Digests;
import dev.safelora.files.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Artifacts on a local or shared file system, {@code file:///absolute/path}.
 *
 * <p>A put writes into a hidden temporary sibling ({@value #TMP_PREFIX}...) on the same file system,
 * forces it to disk and renames it to the final name, so a crash leaves at most a hidden temporary
 * that {@link #list} ignores, never a half artifact at the final path. Replacing a directory renames the
 * old one aside first ({@value #OLD_PREFIX}...) and deletes it after the new one is in place.
 */
public final class FileArtifactStore implements ArtifactStore {

    static final String TMP_PREFIX = ".safelora-tmp-";
    static final String OLD_PREFIX = ".safelora-old-";

    @Override
    public String scheme() {
        return "file";
    }

    /**
     * The local path of a {@code file:} URI; anything else is refused with the reason, including everything
     * {@link ArtifactUriSyntax} refuses (dot segments, encoded dots, query, fragment), so the path is the one the
     * URI spells.
     */
    public static Path pathOf(URI uri) {
        if (!"file".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not a file: URI: " + ArtifactUriSyntax.shown(uri));
        }
        if (uri.isOpaque() || uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new IllegalArgumentException("file URI must be absolute, like file:///var/lib/safelora/x, got: " + uri);
        }
        if (uri.getAuthority() != null && !uri.getAuthority().isEmpty() && !uri.getAuthority().equals("localhost")) {
            throw new IllegalArgumentException("file URI must not name a host, got: " + ArtifactUriSyntax.shown(uri));
        }
        ArtifactUriSyntax.check(uri);
        return Path.of(uri.getPath());
    }

    /**
     * Compares real locations: both paths are resolved through every symbolic link that exists (a part that does
     * not exist yet is taken as spelled), so a link inside the root that points outside it is outside.
     */
    @Override
    public boolean contains(URI root, URI uri) throws IOException {
        if (!"file".equalsIgnoreCase(root.getScheme()) || !"file".equalsIgnoreCase(uri.getScheme())) {
            return false;
        }
        return realLocation(pathOf(uri)).startsWith(realLocation(pathOf(root)));
    }

    /**
     * {@code path} with its longest existing prefix replaced by that prefix's real path. A dangling symbolic link
     * on the way is an IOException: where it would lead cannot be known.
     */
    static Path realLocation(Path path) throws IOException {
        Path abs = path.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        Path real;
        try {
            real = existing.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IOException(abs + " goes through a symbolic link that leads nowhere", e);
        }
        return real.resolve(existing.relativize(abs).toString());
    }

    @Override
    public String put(Path source, URI target) throws IOException {
        if (!Files.exists(source)) {
            throw new NoSuchFileException(source.toString(), null, "nothing to store");
        }
        Path dest = pathOf(target);
        String digest = Digests.of(source);
        if (Files.isDirectory(source) == Files.isDirectory(dest) && Files.exists(dest) && Digests.of(dest).equals(digest)) {
            return digest;
        }
        Files.createDirectories(dest.getParent());
        Path tmp = dest.resolveSibling(TMP_PREFIX + dest.getFileName() + "-" + UUID.randomUUID());
        try {
            copyDurably(source, tmp);
            moveIntoPlace(tmp, dest);
        } finally {
            FileTrees.delete(tmp);
        }
        return digest;
    }

    @Override
    public Path get(URI source, Path target) throws IOException {
        Path src = existing(source);
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(TMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
        try {
            copyDurably(src, tmp);
            moveIntoPlace(tmp, target.toAbsolutePath());
        } finally {
            FileTrees.delete(tmp);
        }
        return target;
    }

    @Override
    public Path open(URI source) throws IOException {
        return existing(source);
    }

    @Override
    public boolean exists(URI uri) {
        return Files.exists(pathOf(uri));
    }

    @Override
    public List<URI> list(URI prefix) throws IOException {
        Path dir = pathOf(prefix);
        List<URI> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                if (child.getFileName().toString().startsWith(".safelora-")) {
                    continue;
                }
                URI uri = child.toUri();
                out.add(Files.isDirectory(child) && !uri.toString().endsWith("/") ? URI.create(uri + "/") : uri);
            }
        }
        out.sort(Comparator.comparing(URI::toString));
        return out;
    }

    @Override
    public boolean delete(URI uri) throws IOException {
        Path path = pathOf(uri);
        if (!Files.exists(path)) {
            return false;
        }
        if (Files.isDirectory(path)) {
            // Rename first so that readers never see a partly deleted directory under the real name.
            Path old = path.resolveSibling(OLD_PREFIX + path.getFileName() + "-" + UUID.randomUUID());
            Files.move(path, old, StandardCopyOption.ATOMIC_MOVE);
            FileTrees.delete(old);
        } else {
            Files.delete(path);
        }
        return true;
    }

    @Override
    public String sha256(URI uri) throws IOException {
        return Digests.of(existing(uri));
    }

    private static Path existing(URI uri) throws NoSuchFileException {
        Path path = pathOf(uri);
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no artifact at " + uri);
        }
        return path;
    }

    /** Copies a file or tree and forces every file to disk before it is renamed into place. */
    private static void copyDurably(Path source, Path dest) throws IOException {
        if (Files.isDirectory(source)) {
            try (Stream<Path> walk = Files.walk(source)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    Path to = dest.resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        copyFile(p, to);
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        } else {
            copyFile(source, dest);
        }
    }

    private static void copyFile(Path from, Path to) throws IOException {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void moveIntoPlace(Path tmp, Path dest) throws IOException {
        if (Files.isDirectory(dest) || (Files.isDirectory(tmp) && Files.exists(dest))) {
            // A non-empty directory cannot be replaced by rename: move the old one aside first.
            Path old = dest.resolveSibling(OLD_PREFIX + dest.getFileName() + "-" + UUID.randomUUID());
            Files.move(dest, old, StandardCopyOption.ATOMIC_MOVE);
            try {
                atomicMove(tmp, dest);
            } finally {
                FileTrees.delete(old);
            }
        } else {
            atomicMove(tmp, dest);
        }
    }

    private static void atomicMove(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + to + " cannot rename atomically; artifacts need a"
                    + " file system that can (a local disk or a POSIX shared volume)", e);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("another writer put " + to + " at the same time; retry", e);
        }
    }
}
