import { describe, expect, it } from 'vitest';
import { getSetCookies, splitSetCookie } from './set-cookie.ts';

describe('splitSetCookie', () => {
  it('keeps the comma inside an Expires date', () => {
    expect(
      splitSetCookie('a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/, b=2; HttpOnly'),
    ).toEqual(['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/', 'b=2; HttpOnly']);
  });

  it('splits several simple cookies and trims them', () => {
    expect(splitSetCookie('a=1,b=2 ,  c=3')).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('keeps commas in values that are not followed by a cookie name', () => {
    expect(splitSetCookie('list=x,y,z; Path=/')).toEqual(['list=x,y,z; Path=/']);
  });

  it('returns nothing for an empty header', () => {
    expect(splitSetCookie('')).toEqual([]);
    expect(splitSetCookie('   ')).toEqual([]);
  });

  it('does not take an attribute without a value for a cookie', () => {
    expect(splitSetCookie('a=1; Secure, HttpOnly')).toEqual(['a=1; Secure, HttpOnly']);
  });
});

describe('getSetCookies', () => {
  it('returns each Set-Cookie header separately', () => {
    const headers = new Headers();
    headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT');
    headers.append('set-cookie', 'b=2');
    expect(getSetCookies(headers)).toEqual(['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']);
  });

  it('falls back to splitting where Headers lacks getSetCookie', () => {
    const headers = new Headers({ 'set-cookie': 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT, b=2' });
    Object.defineProperty(headers, 'getSetCookie', { value: undefined });
    expect(getSetCookies(headers)).toEqual(['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']);
  });
});
