package org.vnvdimm.dom0.fs;

import java.util.Locale;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.XenAbi;
import org.vnvdimm.dom0.nd.BlockDevice;
import org.vnvdimm.ranges.ExtentMap;
import org.vnvdimm.ranges.RangeSet;

/**
 * A DAX filesystem (xfs or ext4) on a pmem block device, 4 KiB blocks. Each file has a size and an
 * {@link ExtentMap} from file page to device block; blocks shared by reflinked files carry a reference
 * count in a second extent map. Everything is O(extents): a 16 TiB device with a few huge files costs
 * a few objects. Directories are not modelled: a file is named by its absolute path, which must lie
 * under the mount point.
 *
 * <p><b>Block moves and the invalidation order.</b> Every call that moves or frees blocks of a file
 * (truncate, punchHole, unlink, cowWrite, writeFault on a shared page, defragMove) builds
 * {@link Invalidation} records for one change with a fresh sequence number, and in this order:
 * <ol>
 *   <li>allocates the new blocks, if any (so they can never be the ones being freed);</li>
 *   <li>tells the {@link LayoutListener} {@code invalidated(seq, records)};</li>
 *   <li>changes the file's map;</li>
 *   <li>drops references to the old blocks; blocks nobody references any more are freed: with
 *       {@link FsOptions#deferFreeUntilAck()} they wait in quarantine until
 *       {@link #acknowledge(long)} (the caller has unmapped them everywhere), else they go back to the
 *       allocator right away (the caller has the records before it can issue the next call).</li>
 * </ol>
 * So an invalidation notice always comes before any reuse of the blocks it names. The same records
 * are returned in the {@link FsResult}; the listener is optional.
 *
 * <p><b>Limits.</b> maxFiles (ENOSPC), maxExtentsPerFile (EOVERFLOW; checked against the worst case
 * before anything changes, so an operation that might have merged extents can still be refused),
 * file size 2^62 bytes (EINVAL), path 4096 / name 255 bytes (EINVAL). A refused call changes nothing.
 * Not thread-safe: one owner (the Dom0 actor) calls it.
 */
public final class DaxFilesystem {
    public static final long BLOCK_SIZE_BYTES = XenAbi.PAGE_SIZE;
    /** 2^62 bytes: far beyond any device here, and keeps page arithmetic clear of overflow. */
    public static final long MAX_FILE_SIZE_BYTES = 1L << 62;
    public static final int MAX_PATH_BYTES = 4096;
    public static final int MAX_NAME_BYTES = 255;
    /** Prefix of the files {@link #fragment} creates under the mount point. */
    public static final String FRAGMENT_PREFIX = ".fragment-";

    private record Blocks(long block) implements ExtentMap.Value<Blocks> {
        @Override
        public Blocks slice(long offset) { return new Blocks(block + offset); }
    }

    private record RefCount(long count) implements ExtentMap.Value<RefCount> {
        @Override
        public RefCount slice(long offset) { return this; }
    }

    private static final class Inode {
        final String path;
        long sizeBytes;
        final ExtentMap<Blocks> map = new ExtentMap<>((l, r) -> l.value().block() + l.length() == r.value().block());
        /** Pages whose extents are unwritten (fallocate'd, never written through the filesystem): they read as zeros. */
        final RangeSet unwritten = new RangeSet();
        /** XFS's extent size hint in blocks (xfs_io -c "extsize ..."); 1 = none. */
        long extsizeBlocks = 1;

        Inode(String path, long sizeBytes) {
            this.path = path;
            this.sizeBytes = sizeBytes;
        }
    }

    /** One piece of a change: file pages at oldBlock (or a hole) going to newBlock (or nowhere). */
    private record Move(long fileOffsetPages, long nrPages, long oldBlock, long newBlock) {}

    private final BlockDevice device;
    private final FsOptions options;
    private final BlockAllocator allocator;
    private final TreeMap<String, Inode> files = new TreeMap<>();
    /** Blocks referenced by two or more files, with the count; absent means one (or zero) owners. */
    private final ExtentMap<RefCount> shared = new ExtentMap<>((l, r) -> l.value().count() == r.value().count());
    private final TreeMap<Long, List<BlockRun>> pending = new TreeMap<>();
    private final RangeSet pendingSet = new RangeSet();
    private long nextSeq = 1;
    private int nextFragment = 1;
    private LayoutListener listener = new LayoutListener() {};

    private DaxFilesystem(BlockDevice device, FsOptions options, BlockAllocator allocator) {
        this.device = device;
        this.options = options;
        this.allocator = allocator;
    }

    /**
     * mkfs + mount. EINVAL if DAX is asked for on a device that cannot do it, ENOSPC if the device is not
     * larger than the metadata area.
     */
    public static FsResult<DaxFilesystem> mkfs(BlockDevice device, FsOptions options) {
        if (device == null) return FsResult.error(Errno.EINVAL, "device: missing");
        if (options == null) return FsResult.error(Errno.EINVAL, "options: missing");
        if (options.dax() && !device.daxCapable()) {
            return FsResult.error(Errno.EINVAL, "dax: " + device.path() + " does not support DAX (not an fsdax namespace)");
        }
        long blocks = device.sizeBytes() / BLOCK_SIZE_BYTES;
        if (blocks <= options.metadataBlocks()) {
            return FsResult.error(Errno.ENOSPC, "device: " + device.path() + " has " + blocks + " blocks, metadata needs "
                    + options.metadataBlocks());
        }
        BlockAllocator a = new BlockAllocator(blocks);
        if (options.metadataBlocks() > 0) a.reserve(0, options.metadataBlocks());
        return FsResult.ok(new DaxFilesystem(device, options, a));
    }

    public BlockDevice device() { return device; }

    public FsOptions options() { return options; }

    public FsType type() { return options.type(); }

    public String mountPoint() { return options.mountPoint(); }

    /** Null restores the no-op listener. */
    public void setLayoutListener(LayoutListener l) { listener = l == null ? new LayoutListener() {} : l; }

    public long totalBlocks() { return allocator.totalBlocks(); }

    public long freeBlocks() { return allocator.freeBlocks(); }

    /** Blocks freed but waiting for {@link #acknowledge(long)}. */
    public long pendingFreeBlocks() { return pendingSet.totalLength(); }

    /** Sequence numbers with blocks still in quarantine, oldest first. */
    public List<Long> pendingSeqs() { return new ArrayList<>(pending.keySet()); }

    /** Free runs of the device (a fragmentation measure). */
    public int freeRangeCount() { return allocator.freeRangeCount(); }

    public int fileCount() { return files.size(); }

    /** All paths, sorted. */
    public List<String> paths() { return new ArrayList<>(files.keySet()); }

    /** Sum of all files' extent counts. */
    public long totalExtentCount() {
        long n = 0;
        for (Inode f : files.values()) n += f.map.size();
        return n;
    }

    /** Number of ranges in the shared-block refcount map. */
    public int sharedRangeCount() { return shared.size(); }

    /** MFN of a device block. */
    public long mfnOf(long block) { return (device.spaStartBytes() >>> XenAbi.PAGE_SHIFT) + block; }

    // ---------------------------------------------------------------- checks

    private String pathError(String what, String path) {
        if (path == null) return what + ": missing";
        String root = options.mountPoint().equals("/") ? "/" : options.mountPoint() + "/";
        if (!path.startsWith(root)) return what + ": '" + path + "' is not under mount point " + options.mountPoint();
        if (path.length() > MAX_PATH_BYTES) return what + ": longer than " + MAX_PATH_BYTES + " bytes";
        String rel = path.substring(root.length());
        if (rel.isEmpty()) return what + ": '" + path + "' names the mount point itself";
        for (String c : rel.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) return what + ": '" + path + "' has an empty, '.' or '..' component";
            if (c.length() > MAX_NAME_BYTES) return what + ": component longer than " + MAX_NAME_BYTES + " bytes";
        }
        return null;
    }

    private Errno pathErrno(String path) {
        String root = options.mountPoint().equals("/") ? "/" : options.mountPoint() + "/";
        return path != null && path.startsWith("/") && !path.startsWith(root) ? Errno.EXDEV : Errno.EINVAL;
    }

    private static long pagesOf(long bytes) { return (bytes + BLOCK_SIZE_BYTES - 1) / BLOCK_SIZE_BYTES; }

    /** Looks up a file; puts an error in err[0] when it is missing or the path is bad. */
    private Inode lookup(String path, FsResult<?>[] err) {
        String pe = pathError("path", path);
        if (pe != null) {
            err[0] = FsResult.error(pathErrno(path), pe);
            return null;
        }
        Inode f = files.get(path);
        if (f == null) err[0] = FsResult.error(Errno.ENOENT, "path: no file '" + path + "'");
        return f;
    }

    private FsResult<Void> checkNew(String path) {
        String pe = pathError("path", path);
        if (pe != null) return FsResult.error(pathErrno(path), pe);
        if (files.containsKey(path)) return FsResult.error(Errno.EEXIST, "path: '" + path + "' exists");
        if (files.size() >= options.maxFiles()) {
            return FsResult.error(Errno.ENOSPC, "inode limit: " + options.maxFiles() + " files (maxFiles)");
        }
        return null;
    }

    private static FsResult<Void> checkSize(String what, long sizeBytes) {
        if (sizeBytes < 0 || sizeBytes > MAX_FILE_SIZE_BYTES) {
            return FsResult.error(Errno.EINVAL, what + ": " + sizeBytes + " outside [0, " + MAX_FILE_SIZE_BYTES + "]");
        }
        return null;
    }

    private FsResult<Void> extentLimit(Inode f, long worstCaseExtents, String op) {
        if (worstCaseExtents > options.maxExtentsPerFile()) {
            return FsResult.error(Errno.EOVERFLOW, op + ": '" + f.path + "' could reach " + worstCaseExtents
                    + " extents, limit maxExtentsPerFile=" + options.maxExtentsPerFile());
        }
        return null;
    }

    // ---------------------------------------------------------------- create

    /**
     * fallocate'd file: all pages get blocks now, in at most maxExtents extents (deliberately that many
     * when the free space allows, see {@link BlockAllocator#allocate(long, int)}).
     */
    public FsResult<FileInfo> create(String path, long sizeBytes, int maxExtents) {
        return create(path, sizeBytes, maxExtents, 0);
    }

    /**
     * As {@link #create(String, long, int)} for a file given an extent size hint first (XFS:
     * xfs_io -c "extsize N" on the empty file, or inherited from its directory): every extent is a
     * multiple of extsizeBytes and starts on such a boundary of the device, and later allocations
     * for the file (a defrag's new blocks) keep that alignment. extsizeBytes 0 = no hint. The sim
     * asks the size to be a multiple of the hint (EINVAL otherwise); ext4 gets EINVAL (no hint modelled there).
     */
    public FsResult<FileInfo> create(String path, long sizeBytes, int maxExtents, long extsizeBytes) {
        FsResult<Void> e = checkNew(path);
        if (e == null) e = checkSize("sizeBytes", sizeBytes);
        if (e != null) return e.castError();
        if (maxExtents < 1) return FsResult.error(Errno.EINVAL, "maxExtents: must be >= 1, got " + maxExtents);
        if (extsizeBytes != 0 && (options.type() != FsType.XFS || extsizeBytes % BLOCK_SIZE_BYTES != 0 || sizeBytes % extsizeBytes != 0)) {
            return FsResult.error(Errno.EINVAL, "extsize: " + extsizeBytes + " bytes: needs XFS, a multiple of the block size, and a file size that is a multiple of it");
        }
        long extsize = extsizeBytes == 0 ? 1 : extsizeBytes / BLOCK_SIZE_BYTES;
        int cap = Math.min(maxExtents, options.maxExtentsPerFile());
        long nr = pagesOf(sizeBytes);
        List<BlockRun> runs = List.of();
        if (nr > 0) {
            FsResult<List<BlockRun>> a = extsize > 1 ? allocator.allocateAligned(nr, cap, extsize) : allocator.allocate(nr, cap);
            if (!a.isOk()) return a.castError();
            runs = a.value();
        }
        Inode f = new Inode(path, sizeBytes);
        f.extsizeBlocks = extsize;
        files.put(path, f);
        // XFS and ext4 allocate fallocate'd space as unwritten extents: no block is zeroed or marked written.
        if (nr > 0) f.unwritten.add(0, nr);
        long off = 0;
        for (BlockRun r : runs) {
            f.map.put(off, r.nrBlocks(), new Blocks(r.startBlock()));
            listener.allocated(path, off, r.nrBlocks(), r.startBlock());
            off += r.nrBlocks();
        }
        return FsResult.ok(info(f));
    }

    /** The file's extent size hint in bytes (0: none or no such file). */
    public long extsizeBytes(String path) {
        Inode f = files.get(path);
        return f == null || f.extsizeBlocks <= 1 ? 0 : f.extsizeBlocks * BLOCK_SIZE_BYTES;
    }

    /** A file of the given size with no blocks: pages get blocks on {@link #writeFault}. */
    public FsResult<FileInfo> createSparse(String path, long sizeBytes) {
        FsResult<Void> e = checkNew(path);
        if (e == null) e = checkSize("sizeBytes", sizeBytes);
        if (e != null) return e.castError();
        Inode f = new Inode(path, sizeBytes);
        files.put(path, f);
        return FsResult.ok(info(f));
    }

    /**
     * Pre-populates up to nHoles small "other files" (1..8 blocks, random places) named
     * mountPoint/.fragment-NNNNNN, so later allocations come out in several extents. Returns their blocks.
     */
    public FsResult<List<BlockRun>> fragment(int nHoles, SplittableRandom rng) {
        if (nHoles < 0) return FsResult.error(Errno.EINVAL, "nHoles: must be >= 0, got " + nHoles);
        if ((long) files.size() + nHoles > options.maxFiles()) {
            return FsResult.error(Errno.ENOSPC, "inode limit: " + nHoles + " more files exceed maxFiles=" + options.maxFiles());
        }
        List<BlockRun> runs = allocator.fragment(nHoles, rng);
        String root = options.mountPoint().equals("/") ? "/" : options.mountPoint() + "/";
        for (BlockRun r : runs) {
            String path;
            do {
                path = org.vnvdimm.contract.ComponentBehavior.format("%s%s%06d", root, FRAGMENT_PREFIX, nextFragment++);
            } while (files.containsKey(path));
            Inode f = new Inode(path, r.nrBlocks() * BLOCK_SIZE_BYTES);
            f.map.put(0, r.nrBlocks(), new Blocks(r.startBlock()));
            files.put(path, f);
            listener.allocated(path, 0, r.nrBlocks(), r.startBlock());
        }
        return FsResult.ok(runs);
    }

    // ---------------------------------------------------------------- queries

    private FileInfo info(Inode f) {
        long mapped = 0;
        for (ExtentMap.Extent<Blocks> x : f.map.extents()) mapped += x.length();
        return new FileInfo(f.path, f.sizeBytes, mapped, f.map.size());
    }

    public FsResult<FileInfo> stat(String path) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        return f == null ? err[0].castError() : FsResult.ok(info(f));
    }

    /**
     * FIEMAP: one entry per run of physically contiguous blocks (split where sharing changes),
     * FIEMAP_EXTENT_SHARED on reflinked blocks, FIEMAP_EXTENT_LAST on the last entry.
     */
    public FsResult<List<FiemapExtent>> extents(String path) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        List<long[]> parts = new ArrayList<>(); // logicalPage, block, nrPages, shared
        for (ExtentMap.Extent<Blocks> x : f.map.extents()) {
            long block = x.value().block();
            long pos = block;
            long end = block + x.length();
            for (ExtentMap.Extent<RefCount> s : shared.overlapping(block, x.length())) {
                if (s.start() > pos) parts.add(new long[] {x.start() + (pos - block), pos, s.start() - pos, 0});
                parts.add(new long[] {x.start() + (s.start() - block), s.start(), s.length(), 1});
                pos = s.end();
            }
            if (pos < end) parts.add(new long[] {x.start() + (pos - block), pos, end - pos, 0});
        }
        List<FiemapExtent> out = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            long[] p = parts.get(i);
            int flags = (p[3] == 1 ? FiemapExtent.FIEMAP_EXTENT_SHARED : 0)
                    | (i == parts.size() - 1 ? FiemapExtent.FIEMAP_EXTENT_LAST : 0);
            out.add(new FiemapExtent(p[0] * BLOCK_SIZE_BYTES, p[1] * BLOCK_SIZE_BYTES, p[2] * BLOCK_SIZE_BYTES, flags));
        }
        return FsResult.ok(out);
    }

    /** Byte offset on the device of a file byte: ENXIO beyond EOF, ENODATA in a hole. */
    public FsResult<Long> physicalOf(String path, long fileOffsetBytes) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        if (fileOffsetBytes < 0 || fileOffsetBytes >= f.sizeBytes) {
            return FsResult.error(Errno.ENXIO, "fileOffsetBytes: " + fileOffsetBytes + " outside file size " + f.sizeBytes);
        }
        ExtentMap.Extent<Blocks> x = f.map.at(fileOffsetBytes / BLOCK_SIZE_BYTES);
        if (x == null) return FsResult.error(Errno.ENODATA, "fileOffsetBytes: " + fileOffsetBytes + " is in a hole");
        return FsResult.ok(x.value().block() * BLOCK_SIZE_BYTES + fileOffsetBytes % BLOCK_SIZE_BYTES);
    }

    /** Pages [fileOffsetPages, +nrPages) as runs of blocks and holes, in order (clipped to the file size). */
    public FsResult<List<FileRun>> mapping(String path, long fileOffsetPages, long nrPages) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        if (fileOffsetPages < 0 || nrPages < 0) {
            return FsResult.error(Errno.EINVAL, "fileOffsetPages/nrPages: negative (" + fileOffsetPages + ", " + nrPages + ")");
        }
        long filePages = pagesOf(f.sizeBytes);
        if (fileOffsetPages >= filePages) return FsResult.ok(List.of());
        long endPage = nrPages >= filePages - fileOffsetPages ? filePages : fileOffsetPages + nrPages;
        return FsResult.ok(runsOf(f, fileOffsetPages, endPage));
    }

    private List<FileRun> runsOf(Inode f, long p0, long p1) {
        List<FileRun> out = new ArrayList<>();
        if (p1 <= p0) return out;
        long pos = p0;
        for (ExtentMap.Extent<Blocks> x : f.map.overlapping(p0, p1 - p0)) {
            if (x.start() > pos) out.add(new FileRun(pos, x.start() - pos, Invalidation.NO_BLOCK));
            out.add(new FileRun(x.start(), x.length(), x.value().block()));
            pos = x.end();
        }
        if (pos < p1) out.add(new FileRun(pos, p1 - pos, Invalidation.NO_BLOCK));
        return out;
    }

    /**
     * A write through the filesystem reached pages [fileOffsetPages, +nrPages): their unwritten
     * extents are converted (written). Stores through a mapping that never faults on the host (a
     * guest's p2m) do not get here, so their extents stay unwritten.
     */
    public void markWritten(String path, long fileOffsetPages, long nrPages) {
        Inode f = files.get(path);
        if (f != null && nrPages > 0) f.unwritten.remove(fileOffsetPages, fileOffsetPages + nrPages);
    }

    /** The unwritten pages among [fileOffsetPages, +nrPages), as ranges of file pages. */
    public List<RangeSet.Range> unwritten(String path, long fileOffsetPages, long nrPages) {
        Inode f = files.get(path);
        return f == null || nrPages <= 0 ? List.of() : f.unwritten.intersection(fileOffsetPages, fileOffsetPages + nrPages);
    }

    /** Files with at least one unwritten page (for the trace after a remount). */
    public long unwrittenPages(String path) {
        Inode f = files.get(path);
        return f == null ? 0 : f.unwritten.totalLength();
    }

    /** True when the block is referenced by more than one file. */
    public boolean isShared(long block) { return shared.at(block) != null; }

    // ---------------------------------------------------------------- changes

    /**
     * A page fault for write at fileOffsetBytes (MAP_SYNC-style: the block is allocated and durable on
     * return). Returns the device byte offset. A hole gets a block (next to the previous page's block when
     * free); a shared page is copied-on-write; EFAULT beyond EOF (the process would get SIGBUS); EOVERFLOW
     * when filling the hole could exceed maxExtentsPerFile.
     */
    public FsResult<Long> writeFault(String path, long fileOffsetBytes) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        if (fileOffsetBytes < 0 || fileOffsetBytes >= f.sizeBytes) {
            return FsResult.error(Errno.EFAULT, "fileOffsetBytes: " + fileOffsetBytes + " beyond EOF " + f.sizeBytes + " (SIGBUS)");
        }
        long page = fileOffsetBytes / BLOCK_SIZE_BYTES;
        long inPage = fileOffsetBytes % BLOCK_SIZE_BYTES;
        ExtentMap.Extent<Blocks> x = f.map.at(page);
        if (x != null && !isShared(x.value().block())) return FsResult.ok(x.value().block() * BLOCK_SIZE_BYTES + inPage);
        if (x != null) {
            FsResult<Void> r = cowPages(f, page, page + 1);
            if (!r.isOk()) return r.castError();
            long block = f.map.at(page).value().block();
            return FsResult.ok(block * BLOCK_SIZE_BYTES + inPage, r.invalidationSeq(), r.invalidations());
        }
        FsResult<Void> lim = extentLimit(f, f.map.size() + 1L, "writeFault");
        if (lim != null) return lim.castError();
        ExtentMap.Extent<Blocks> prev = page > 0 ? f.map.at(page - 1) : null;
        FsResult<List<BlockRun>> a = prev != null ? allocator.near(prev.value().block() + 1, 1, 1) : allocator.firstFit(1, 1);
        if (!a.isOk()) return a.castError();
        long block = a.value().get(0).startBlock();
        apply(null, f, List.of(new Move(page, 1, Invalidation.NO_BLOCK, block)), false);
        return FsResult.ok(block * BLOCK_SIZE_BYTES + inPage);
    }

    /**
     * A write to [offBytes, +lenBytes) of a file that may share blocks (reflink): shared pages get new
     * blocks (COW invalidations), holes get blocks, unshared pages are written in place. The range must
     * lie inside the file.
     */
    public FsResult<Void> cowWrite(String path, long offBytes, long lenBytes) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        FsResult<Void> e = checkInside(f, offBytes, lenBytes, "cowWrite");
        if (e != null) return e;
        return cowPages(f, offBytes / BLOCK_SIZE_BYTES, pagesOf(offBytes + lenBytes));
    }

    private static FsResult<Void> checkInside(Inode f, long offBytes, long lenBytes, String op) {
        if (offBytes < 0 || lenBytes <= 0 || offBytes > f.sizeBytes - lenBytes) {
            return FsResult.error(Errno.EINVAL, op + ": range [" + offBytes + ", +" + lenBytes + ") not inside '" + f.path
                    + "' of size " + f.sizeBytes);
        }
        return null;
    }

    private FsResult<Void> cowPages(Inode f, long p0, long p1) {
        List<Move> targets = new ArrayList<>(); // newBlock filled in below
        long unsharedPieces = 0;
        for (FileRun r : runsOf(f, p0, p1)) {
            if (r.hole()) {
                targets.add(new Move(r.fileOffsetPages(), r.nrPages(), Invalidation.NO_BLOCK, Invalidation.NO_BLOCK));
                continue;
            }
            long pos = r.block();
            long end = r.block() + r.nrPages();
            for (ExtentMap.Extent<RefCount> s : shared.overlapping(r.block(), r.nrPages())) {
                if (s.start() > pos) unsharedPieces++;
                targets.add(new Move(r.fileOffsetPages() + (s.start() - r.block()), s.length(), s.start(), Invalidation.NO_BLOCK));
                pos = s.end();
            }
            if (pos < end) unsharedPieces++;
        }
        if (targets.isEmpty()) return FsResult.ok(null);
        return relocate(f, p0, p1, targets, unsharedPieces, false, Invalidation.Cause.COW, "cowWrite");
    }

    /**
     * Gives new blocks to the target pieces (holes or old blocks) and applies the change. The extent
     * bound: pieces outside the range stay, extents straddling p0 or p1 leave a piece outside, the untouched pieces
     * inside stay, and T targets filled from R runs make at most T + R - 1 pieces.
     */
    private FsResult<Void> relocate(Inode f, long p0, long p1, List<Move> targets, long keptPieces, boolean preferContiguous,
                                    Invalidation.Cause cause, String op) {
        long needed = 0;
        for (Move t : targets) needed += t.nrPages();
        ExtentMap.Extent<Blocks> left = p0 > 0 ? f.map.at(p0 - 1) : null;
        ExtentMap.Extent<Blocks> right = f.map.at(p1 - 1);
        long outsideSplits = (left != null && left.end() > p0 ? 1 : 0) + (right != null && right.end() > p1 ? 1 : 0);
        long fixed = f.map.size() - f.map.overlapping(p0, p1 - p0).size() + outsideSplits + keptPieces + targets.size() - 1;
        long maxRuns = options.maxExtentsPerFile() - fixed;
        FsResult<Void> lim = extentLimit(f, fixed + 1, op);
        if (lim != null) return lim;
        int cap = (int) Math.min(Integer.MAX_VALUE, maxRuns);
        // A file with an extent size hint gets its new run on a hint boundary (xfs_fsr's temporary
        // file is given the same hint, [inferred]).
        FsResult<List<BlockRun>> a = preferContiguous ? allocator.contiguousAligned(needed, f.extsizeBlocks) : null;
        if (a == null || !a.isOk()) a = allocator.firstFit(needed, cap);
        if (!a.isOk()) return a.castError();
        List<Move> moves = new ArrayList<>();
        List<BlockRun> runs = a.value();
        int ri = 0;
        long rOff = 0;
        for (Move t : targets) {
            long done = 0;
            while (done < t.nrPages()) {
                BlockRun run = runs.get(ri);
                long n = Math.min(t.nrPages() - done, run.nrBlocks() - rOff);
                long old = t.oldBlock() == Invalidation.NO_BLOCK ? Invalidation.NO_BLOCK : t.oldBlock() + done;
                moves.add(new Move(t.fileOffsetPages() + done, n, old, run.startBlock() + rOff));
                done += n;
                rOff += n;
                if (rOff == run.nrBlocks()) {
                    ri++;
                    rOff = 0;
                }
            }
        }
        return apply(cause, f, moves, false);
    }

    /**
     * fallocate(PUNCH_HOLE): frees the whole pages inside [offBytes, +lenBytes) (a range reaching EOF
     * includes the last partial page); partial pages are zeroed in place. Beyond EOF is a no-op.
     */
    public FsResult<Void> punchHole(String path, long offBytes, long lenBytes) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        if (offBytes < 0 || lenBytes <= 0) {
            return FsResult.error(Errno.EINVAL, "punchHole: offBytes " + offBytes + " / lenBytes " + lenBytes + " must be >= 0 / > 0");
        }
        if (offBytes >= f.sizeBytes) return FsResult.ok(null);
        long end = lenBytes > Long.MAX_VALUE - offBytes ? Long.MAX_VALUE : offBytes + lenBytes;
        long p0 = pagesOf(offBytes);
        long p1 = end >= f.sizeBytes ? pagesOf(f.sizeBytes) : end / BLOCK_SIZE_BYTES;
        if (p0 >= p1) return FsResult.ok(null);
        ExtentMap.Extent<Blocks> around = p0 > 0 ? f.map.at(p0 - 1) : null;
        if (around != null && around.end() > p1) {
            FsResult<Void> lim = extentLimit(f, f.map.size() + 1L, "punchHole");
            if (lim != null) return lim;
        }
        return apply(Invalidation.Cause.PUNCH_HOLE, f, freeMoves(f, p0, p1), false);
    }

    private List<Move> freeMoves(Inode f, long p0, long p1) {
        List<Move> moves = new ArrayList<>();
        if (p1 <= p0) return moves;
        for (ExtentMap.Extent<Blocks> x : f.map.overlapping(p0, p1 - p0)) {
            moves.add(new Move(x.start(), x.length(), x.value().block(), Invalidation.NO_BLOCK));
        }
        return moves;
    }

    /** ftruncate: shrinking frees the pages past the new size; growing adds a hole. */
    public FsResult<Void> truncate(String path, long newSizeBytes) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        FsResult<Void> e = checkSize("newSizeBytes", newSizeBytes);
        if (e != null) return e;
        FsResult<Void> r = FsResult.ok(null);
        if (newSizeBytes < f.sizeBytes) {
            r = apply(Invalidation.Cause.TRUNCATE, f, freeMoves(f, pagesOf(newSizeBytes), pagesOf(f.sizeBytes)), false);
        }
        f.sizeBytes = newSizeBytes;
        return r;
    }

    /** Removes the file and frees the blocks only it used. */
    public FsResult<Void> unlink(String path) {
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        return apply(Invalidation.Cause.UNLINK, f, freeMoves(f, 0, pagesOf(f.sizeBytes)), true);
    }

    /**
     * FICLONE into a new file dst sharing all of src's blocks. ext4: EOPNOTSUPP (no reflink). XFS on a
     * DAX mount: EINVAL ("DAX and reflink cannot be used together") unless allowDaxReflink.
     */
    public FsResult<FileInfo> reflink(String src, String dst) {
        if (options.type() == FsType.EXT4) return FsResult.error(Errno.EOPNOTSUPP, "reflink: ext4 has no reflink");
        if (options.dax() && !options.allowDaxReflink()) {
            return FsResult.error(Errno.EINVAL, "reflink: DAX and reflink cannot be used together (mounted -o dax, allowDaxReflink=false)");
        }
        FsResult<?>[] err = new FsResult<?>[1];
        Inode s = lookup(src, err);
        if (s == null) return err[0].castError();
        FsResult<Void> e = checkNew(dst);
        if (e != null) return e.castError();
        Inode d = new Inode(dst, s.sizeBytes);
        for (RangeSet.Range u : s.unwritten.ranges()) d.unwritten.add(u.start(), u.end());
        for (ExtentMap.Extent<Blocks> x : s.map.extents()) {
            d.map.put(x.start(), x.length(), x.value());
            incRef(x.value().block(), x.length());
        }
        files.put(dst, d);
        return FsResult.ok(info(d));
    }

    /**
     * Online defragmentation of [offBytes, +lenBytes): the mapped pages of the range move to new blocks
     * (one run when a free run is big enough), holes stay holes. XFS only (XFS_IOC_SWAPEXT); ext4 on DAX
     * returns EOPNOTSUPP ("Online defrag not supported with DAX"), ext4 without DAX moves like XFS.
     */
    public FsResult<Void> defragMove(String path, long offBytes, long lenBytes) {
        if (options.type() == FsType.EXT4 && options.dax()) {
            return FsResult.error(Errno.EOPNOTSUPP, "defragMove: online defrag not supported with DAX on ext4");
        }
        FsResult<?>[] err = new FsResult<?>[1];
        Inode f = lookup(path, err);
        if (f == null) return err[0].castError();
        FsResult<Void> e = checkInside(f, offBytes, lenBytes, "defragMove");
        if (e != null) return e;
        long p0 = offBytes / BLOCK_SIZE_BYTES;
        long p1 = pagesOf(offBytes + lenBytes);
        List<Move> targets = new ArrayList<>();
        for (ExtentMap.Extent<Blocks> x : f.map.overlapping(p0, p1 - p0)) {
            targets.add(new Move(x.start(), x.length(), x.value().block(), Invalidation.NO_BLOCK));
        }
        if (targets.isEmpty()) return FsResult.ok(null);
        return relocate(f, p0, p1, targets, 0, true, Invalidation.Cause.DEFRAG, "defragMove");
    }

    /**
     * Carries out one change in the documented order: notice, map update, allocation notices, then
     * unreferenced old blocks to quarantine (or straight back to the allocator).
     */
    private FsResult<Void> apply(Invalidation.Cause cause, Inode f, List<Move> moves, boolean removeFile) {
        List<Invalidation> inv = new ArrayList<>();
        boolean invalidates = false;
        for (Move m : moves) invalidates |= m.oldBlock() != Invalidation.NO_BLOCK;
        long seq = invalidates ? nextSeq++ : 0;
        for (Move m : moves) {
            if (m.oldBlock() == Invalidation.NO_BLOCK) continue;
            boolean freed = m.newBlock() == Invalidation.NO_BLOCK;
            inv.add(new Invalidation(seq, cause, f.path, m.fileOffsetPages(), m.nrPages(), m.oldBlock(), m.newBlock(),
                    mfnOf(m.oldBlock()), freed ? Invalidation.NO_BLOCK : mfnOf(m.newBlock())));
        }
        if (!inv.isEmpty()) listener.invalidated(seq, List.copyOf(inv));
        for (Move m : moves) {
            if (m.newBlock() == Invalidation.NO_BLOCK) f.unwritten.remove(m.fileOffsetPages(), m.fileOffsetPages() + m.nrPages());
            if (m.newBlock() == Invalidation.NO_BLOCK) f.map.remove(m.fileOffsetPages(), m.nrPages());
            else f.map.put(m.fileOffsetPages(), m.nrPages(), new Blocks(m.newBlock()));
        }
        for (Move m : moves) {
            if (m.newBlock() != Invalidation.NO_BLOCK) listener.allocated(f.path, m.fileOffsetPages(), m.nrPages(), m.newBlock());
        }
        List<BlockRun> freed = new ArrayList<>();
        for (Move m : moves) {
            if (m.oldBlock() != Invalidation.NO_BLOCK) decRef(m.oldBlock(), m.nrPages(), freed);
        }
        if (removeFile) files.remove(f.path);
        if (!freed.isEmpty()) {
            freed.sort(Comparator.comparingLong(BlockRun::startBlock));
            if (options.deferFreeUntilAck()) {
                pending.put(seq, List.copyOf(freed));
                for (BlockRun b : freed) pendingSet.add(b.startBlock(), b.endBlock());
            } else {
                release(seq, freed);
            }
        }
        return FsResult.ok(null, seq, inv);
    }

    private void release(long seq, List<BlockRun> runs) {
        for (BlockRun b : runs) allocator.free(b.startBlock(), b.nrBlocks());
        listener.released(seq, List.copyOf(runs));
    }

    /**
     * The caller has finished the invalidation of change seq (every mapping of its old blocks is gone):
     * the blocks it freed become allocatable. Returns how many blocks were released (0 when the change
     * freed none or was acknowledged before); EINVAL for a sequence number never issued.
     */
    public FsResult<Long> acknowledge(long seq) {
        if (seq <= 0 || seq >= nextSeq) return FsResult.error(Errno.EINVAL, "seq: " + seq + " was never issued (next is " + nextSeq + ")");
        List<BlockRun> runs = pending.remove(seq);
        if (runs == null) return FsResult.ok(0L);
        long n = 0;
        for (BlockRun b : runs) {
            pendingSet.remove(b.startBlock(), b.endBlock());
            n += b.nrBlocks();
        }
        release(seq, runs);
        return FsResult.ok(n);
    }

    private void incRef(long start, long n) {
        long pos = start;
        for (ExtentMap.Extent<RefCount> s : shared.overlapping(start, n)) {
            if (s.start() > pos) shared.put(pos, s.start() - pos, new RefCount(2));
            shared.put(s.start(), s.length(), new RefCount(s.value().count() + 1));
            pos = s.end();
        }
        if (pos < start + n) shared.put(pos, start + n - pos, new RefCount(2));
    }

    private void decRef(long start, long n, List<BlockRun> freed) {
        long pos = start;
        for (ExtentMap.Extent<RefCount> s : shared.overlapping(start, n)) {
            if (s.start() > pos) freed.add(new BlockRun(pos, s.start() - pos));
            if (s.value().count() <= 2) shared.remove(s.start(), s.length());
            else shared.put(s.start(), s.length(), new RefCount(s.value().count() - 1));
            pos = s.end();
        }
        if (pos < start + n) freed.add(new BlockRun(pos, start + n - pos));
    }

    // ---------------------------------------------------------------- oracle

    /**
     * Checks the filesystem's invariants in O(extents log extents) and lists what is wrong (empty when
     * consistent): no extent past EOF or over the limit; every block owned by as many files as its
     * reference count says; no owned block free, in quarantine or in the metadata area; and used blocks
     * = metadata + owned + quarantined.
     */
    public List<String> checkConsistency() {
        List<String> bad = new ArrayList<>();
        List<long[]> events = new ArrayList<>(); // block, +1/-1
        for (Inode f : files.values()) {
            if (f.map.size() > options.maxExtentsPerFile()) bad.add(f.path + ": " + f.map.size() + " extents over the limit");
            for (ExtentMap.Extent<Blocks> x : f.map.extents()) {
                if (x.end() > pagesOf(f.sizeBytes)) bad.add(f.path + ": extent at page " + x.start() + " past EOF " + f.sizeBytes);
                long b = x.value().block();
                if (b < options.metadataBlocks() || b + x.length() > allocator.totalBlocks()) {
                    bad.add(f.path + ": blocks [" + b + ", +" + x.length() + ") outside the data blocks");
                }
                events.add(new long[] {b, 1});
                events.add(new long[] {b + x.length(), -1});
            }
        }
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        long owned = 0;
        long sharedOwned = 0;
        int depth = 0;
        for (int i = 0; i < events.size(); ) {
            long at = events.get(i)[0];
            while (i < events.size() && events.get(i)[0] == at) depth += (int) events.get(i++)[1];
            if (depth <= 0 || i >= events.size()) continue;
            long next = events.get(i)[0];
            long len = next - at;
            owned += len;
            if (!allocator.isAllocated(at, len)) bad.add("blocks [" + at + ", +" + len + ") owned but free in the allocator");
            if (pendingSet.intersects(at, next)) bad.add("blocks [" + at + ", +" + len + ") owned but in quarantine");
            List<ExtentMap.Extent<RefCount>> s = shared.overlapping(at, len);
            if (depth == 1 && !s.isEmpty()) bad.add("blocks [" + at + ", +" + len + ") owned once but refcounted " + s.get(0).value().count());
            if (depth >= 2) {
                sharedOwned += len;
                long pos = at;
                for (ExtentMap.Extent<RefCount> r : s) {
                    if (r.start() != pos || r.value().count() != depth) {
                        bad.add("blocks [" + at + ", +" + len + ") owned by " + depth + " files, refcount " + r.value().count() + " at " + r.start());
                    }
                    pos = r.end();
                }
                if (pos != next) bad.add("blocks [" + pos + ", " + next + ") owned by " + depth + " files but not refcounted");
            }
        }
        long sharedTotal = 0;
        for (ExtentMap.Extent<RefCount> r : shared.extents()) sharedTotal += r.length();
        if (sharedTotal != sharedOwned) bad.add("refcount map covers " + sharedTotal + " blocks, multiply owned " + sharedOwned);
        long expectUsed = options.metadataBlocks() + owned + pendingSet.totalLength();
        if (allocator.usedBlocks() != expectUsed) {
            bad.add("allocator uses " + allocator.usedBlocks() + " blocks, expected metadata " + options.metadataBlocks()
                    + " + owned " + owned + " + quarantined " + pendingSet.totalLength() + " = " + expectUsed);
        }
        return bad;
    }
}
