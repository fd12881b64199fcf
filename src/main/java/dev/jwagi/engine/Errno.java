package dev.jwagi.engine;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * WASI preview1 errno values (Chicory's own are package-private), the one list jwagi's host
 * functions answer from, and how a JDK file-system failure maps onto them.
 */
final class Errno {
  static final int SUCCESS = 0;
  static final int ACCES = 2;
  static final int BADF = 8;
  static final int BUSY = 10;
  static final int EXIST = 20;
  static final int INVAL = 28;
  static final int IO = 29;
  static final int ISDIR = 31;
  static final int LOOP = 32;
  static final int MFILE = 33;
  static final int NAMETOOLONG = 37;
  static final int NOENT = 44;
  static final int NOSPC = 51;
  static final int NOTDIR = 54;
  static final int NOTEMPTY = 55;
  static final int NOTSUP = 58;
  static final int PERM = 63;
  static final int ROFS = 69;
  static final int SPIPE = 70;
  static final int XDEV = 75;

  /** The capability (the volume) does not cover the path. */
  static final int NOTCAPABLE = 76;

  private Errno() {}

  /** A failure with a WASI errno, thrown inside a host function and returned at its edge. */
  static final class Failure extends Exception {
    final int errno;

    Failure(int errno) {
      super(null, null, false, false); // control flow: no message, no stack trace
      this.errno = errno;
    }
  }

  /** The errno of a JDK file-system failure (the JDK keeps the OS's reason only as text). */
  static int of(IOException e) {
    if (e instanceof NoSuchFileException) {
      return NOENT;
    }
    if (e instanceof FileAlreadyExistsException) {
      return EXIST;
    }
    if (e instanceof DirectoryNotEmptyException) {
      return NOTEMPTY;
    }
    if (e instanceof NotDirectoryException) {
      return NOTDIR;
    }
    if (e instanceof AccessDeniedException) {
      return ACCES;
    }
    if (e instanceof NotLinkException) {
      return INVAL;
    }
    if (e instanceof FileSystemLoopException) {
      return LOOP;
    }
    String reason = e instanceof FileSystemException ? ((FileSystemException) e).getReason() : null;
    if (reason == null) {
      return IO;
    }
    if (reason.contains("symbolic link")) {
      return LOOP; // O_NOFOLLOW met a symlink (ELOOP)
    }
    if (reason.contains("Not a directory")) {
      return NOTDIR;
    }
    if (reason.contains("Is a directory")) {
      return ISDIR;
    }
    if (reason.contains("Directory not empty")) {
      return NOTEMPTY;
    }
    if (reason.contains("cross-device")) {
      return XDEV;
    }
    if (reason.contains("Read-only file system")) {
      return ROFS;
    }
    if (reason.contains("No space left")) {
      return NOSPC;
    }
    if (reason.contains("File name too long")) {
      return NAMETOOLONG;
    }
    if (reason.contains("Invalid argument")) {
      return INVAL;
    }
    if (reason.contains("Operation not permitted")) {
      return PERM;
    }
    if (reason.contains("Device or resource busy")) {
      return BUSY;
    }
    return IO;
  }
}
