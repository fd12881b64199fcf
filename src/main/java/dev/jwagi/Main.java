package dev.jwagi;

public class Main {
  public static void main(String[] a) {}
}
